"""A vectorized generator of large, messy CRM exports for the benchmarks.

`segmentation_pipeline.sample_data` builds the bundled sample row by row (about 25 s per
100k accounts); this builds the same kind of export with numpy in a few seconds per
million: the same spellings, blanks, messy websites and employee counts, duplicates
re-entered with gaps, usage and firmographics driven by one latent fit per company.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from segmentation_pipeline.sample_data import (
    _CITIES,
    _CONTRACT_TERMS,
    _COUNTRY_SPELLINGS,
    _COUNTRY_WEIGHTS,
    _GROWTH,
    _INDUSTRY_SPELLINGS,
    _INDUSTRY_WEIGHTS,
    _NAME_HEADS,
    _NAME_TAILS,
    _PHONE_PREFIX,
    _STRATEGIC,
    _SUFFIXES,
    _TIERS,
    SampleCrm,
)

AS_OF = datetime(2026, 11, 1)
SALESFORCE_STAMP = "%Y-%m-%dT%H:%M:%S.000+0000"


def _pick(rng: np.random.Generator, options: list[str], n: int, p=None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def _pick_per_group(rng: np.random.Generator, groups: np.ndarray, table: list[list[str]]):
    """For each row, a uniformly chosen entry of the list that belongs to its group."""
    flat = np.asarray([v for options in table for v in options], dtype=object)
    counts = np.array([len(options) for options in table])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    within = np.floor(rng.random(len(groups)) * counts[groups]).astype(int)
    return flat[offsets[groups] + within]


def _tilted(rng, options: list[str], weights: list[float], fit: np.ndarray, strength: float):
    """Options listed best first; higher fit leans towards the best (as sample_data does)."""
    center = (len(options) - 1) / 2
    tilt = np.exp(strength * np.outer(fit, center - np.arange(len(options))))
    p = np.asarray(weights) * tilt
    cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    index = (rng.random(len(fit))[:, None] > cumulative).sum(axis=1)
    return np.asarray(options, dtype=object)[np.minimum(index, len(options) - 1)]


def _blank(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[mask] = ""
    return out


def _websites(rng, domains: pd.Series) -> np.ndarray:
    style = rng.integers(0, 6, len(domains))
    forms = [
        domains,
        "https://www." + domains,
        "http://" + domains + "/about",
        "WWW." + domains.str.upper(),
        "https://" + domains + "/",
        "www." + domains,
    ]
    return np.select([style == k for k in range(6)], [f.to_numpy(object) for f in forms])


def _employee_texts(rng, employees: np.ndarray) -> np.ndarray:
    style = rng.random(len(employees))
    plain = employees.astype(str).astype(object)
    commas = pd.Series(employees).map("{:,}".format).to_numpy(object)
    ranged = (pd.Series(np.maximum(1, employees // 2)).astype(str) + "-" + plain).to_numpy(object)
    return np.select(
        [style < 0.70, style < 0.80, style < 0.85, style < 0.88, style < 0.90],
        [plain, commas, ranged, plain + "+", np.full(len(style), "n/a", object)],
        default="",
    )


def generate_crm(
    n_accounts: int, seed: int = 7, as_of: datetime = AS_OF, duplicate_share: float = 0.06
) -> SampleCrm:
    """Accounts (Salesforce field names, all text), product usage and firmographics."""
    return generate_labelled_crm(n_accounts, seed, as_of, duplicate_share)[0]


def generate_labelled_crm(
    n_accounts: int, seed: int = 7, as_of: datetime = AS_OF, duplicate_share: float = 0.06
) -> tuple[SampleCrm, pd.DataFrame]:
    """`generate_crm`'s export, and which company each account is (Id, entity_id: a
    re-entered duplicate is the company of the account it copies). Its names are
    numbered namesakes ("Orbis Capital 17") with look-alike domains, a third kind of
    base for `benchmarks/dedup.py`."""
    rng = np.random.default_rng(seed)
    n_unique = max(1, round(n_accounts * (1 - duplicate_share)))
    i = np.arange(n_unique)
    heads, tails = len(_NAME_HEADS), len(_NAME_TAILS)
    serial = i // (heads * tails)
    base = (
        pd.Series(np.asarray(_NAME_HEADS, dtype=object)[i % heads])
        + " "
        + pd.Series(np.asarray(_NAME_TAILS, dtype=object)[(i // heads) % tails])
        + pd.Series(np.where(serial > 0, " " + (serial + 1).astype(str).astype(object), ""))
    )
    domain = base.str.lower().str.replace(" ", "", regex=False) + _pick(
        rng, [".com", ".io", ".co", ".net"], n_unique
    )
    countries, industries = list(_COUNTRY_SPELLINGS), list(_INDUSTRY_SPELLINGS)
    country = rng.choice(
        len(countries), n_unique, p=np.divide(_COUNTRY_WEIGHTS, sum(_COUNTRY_WEIGHTS))
    )
    industry = rng.choice(
        len(industries), n_unique, p=np.divide(_INDUSTRY_WEIGHTS, sum(_INDUSTRY_WEIGHTS))
    )
    fit = rng.normal(size=n_unique)
    employees = np.clip(rng.lognormal(5.3 + 0.9 * fit, 1.1), 3, 60000).astype(int)
    arr = np.clip(rng.lognormal(10.4 + 0.8 * fit, 0.7), 2000, 1_500_000)

    created = pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(3, 1500, n_unique), unit="D")
    modified = created + (pd.Timestamp(as_of) - created) * rng.random(n_unique)
    blank = rng.random((8, n_unique))
    industry_text = _pick_per_group(rng, industry, [_INDUSTRY_SPELLINGS[k] for k in industries])
    industry_text[(blank[0] >= 0.18) & (rng.random(n_unique) < 0.03)] = "Miscellaneous"
    arr_text = np.select(
        [blank[1] < 0.03, blank[1] < 0.08],
        ["", pd.Series(arr).map("${:,.0f}".format).to_numpy(object)],
        default=pd.Series(arr).map("{:.2f}".format).to_numpy(object),
    )
    expansion = arr * _tilted(
        rng, ["1.2", "0.6", "0.3", "0.1", "0.0", "-0.2"], [0.1, 0.15, 0.2, 0.2, 0.3, 0.05], fit, 0.8
    ).astype(float)
    country_codes = np.asarray(countries, dtype=object)[country]
    phone_prefix = pd.Series(country_codes).map(_PHONE_PREFIX)
    accounts = pd.DataFrame(
        {
            "Id": "001A" + pd.Series(i).map("{:011d}".format),
            "Name": (base + " " + _pick(rng, _SUFFIXES, n_unique)).str.strip(),
            "Website": _blank(_websites(rng, domain), blank[2] < 0.08),
            "Industry": _blank(industry_text, blank[0] < 0.18),
            "NumberOfEmployees": _employee_texts(rng, employees),
            "AnnualRevenue": _blank(
                (employees * rng.uniform(80e3, 250e3, n_unique))
                .round()
                .astype(np.int64)
                .astype(str),
                blank[3] < 0.4,
            ),
            "BillingCountry": _blank(
                _pick_per_group(rng, country, [_COUNTRY_SPELLINGS[k] for k in countries]),
                blank[4] < 0.05,
            ),
            "BillingCity": _pick_per_group(rng, country, [_CITIES[k] for k in countries]),
            "Phone": _blank(
                (
                    phone_prefix + " " + rng.integers(1_000_000, 9_999_999, n_unique).astype(str)
                ).to_numpy(object),
                blank[5] < 0.15,
            ),
            "OwnerId": "005U" + pd.Series(rng.integers(1, 13, n_unique)).map("{:011d}".format),
            "CreatedDate": created.strftime(SALESFORCE_STAMP),
            "SystemModstamp": modified.strftime(SALESFORCE_STAMP),
            "ARR__c": arr_text,
            "Contract_Term__c": _blank(
                _tilted(rng, _CONTRACT_TERMS, [0.2, 0.35, 0.2, 0.2, 0.05], fit, 0.9),
                blank[6] < 0.05,
            ),
            "Contract_End_Date__c": (
                created + pd.to_timedelta(365 * rng.integers(1, 4, n_unique), unit="D")
            ).strftime("%Y-%m-%d"),
            "Expansion_Pipeline__c": pd.Series(expansion).map("{:.2f}".format),
            "Strategic_Importance__c": _tilted(
                rng, _STRATEGIC, [0.04, 0.04, 0.1, 0.6, 0.17, 0.05], fit, 0.9
            ),
            "Growth_Stage__c": _blank(_pick(rng, _GROWTH, n_unique), blank[7] < 0.2),
            "Segment_Override__c": np.where(rng.random(n_unique) < 0.02, "true", "false"),
            "Customer_Tier__c": _pick(rng, _TIERS, n_unique, p=[0.2, 0.45, 0.35]),
        }
    )
    duplicates = _duplicates(rng, accounts, domain, n_accounts - n_unique)
    source = duplicates.pop("_source").to_numpy()
    fits = np.concatenate([fit, fit[source]])
    entity = np.concatenate([accounts["Id"].to_numpy(), accounts["Id"].to_numpy()[source]])
    accounts = pd.concat([accounts, duplicates], ignore_index=True)
    order = rng.permutation(len(accounts))
    accounts, fits = accounts.iloc[order].reset_index(drop=True), fits[order]
    truth = pd.DataFrame({"Id": accounts["Id"], "entity_id": entity[order]})
    firmographics = _firmographics(rng, domain, industries, industry, employees, country_codes)
    return SampleCrm(accounts, _usage(rng, accounts["Id"], fits), firmographics), truth


def _duplicates(rng, accounts: pd.DataFrame, domain: pd.Series, n: int) -> pd.DataFrame:
    """The same companies entered again: renamed, with gaps and another website spelling."""
    source = rng.integers(0, len(accounts), n)
    dup = accounts.iloc[source].reset_index(drop=True)
    dup["Id"] = "001D" + pd.Series(np.arange(len(accounts), len(accounts) + n)).map(
        "{:011d}".format
    )
    upper = rng.random(n) < 0.5
    dup["Name"] = np.where(upper, dup["Name"].str.upper(), dup["Name"].str.rstrip("."))
    for column in ("Industry", "NumberOfEmployees", "Phone", "BillingCity"):
        dup.loc[rng.random(n) < 0.4, column] = ""
    dup["Website"] = _websites(rng, domain.iloc[source].reset_index(drop=True))
    dup["_source"] = source
    return dup


def _firmographics(rng, domain, industries, industry, employees, country_codes) -> pd.DataFrame:
    known = rng.random(len(domain)) >= 0.15
    n = len(domain)
    return pd.DataFrame(
        {
            "domain": domain,
            "industry": np.asarray(industries, dtype=object)[industry],
            "employees": (employees * rng.uniform(0.9, 1.1, n)).astype(int),
            "annual_revenue": (employees * rng.uniform(80e3, 250e3, n)).round(-3),
            "country_code": country_codes,
        }
    )[known].reset_index(drop=True)


def _usage(rng, account_ids: pd.Series, fit: np.ndarray) -> pd.DataFrame:
    n = len(account_ids)
    lift = np.exp(1.1 * fit)
    licensed = rng.integers(5, 500, n)
    active = (licensed * rng.beta(2.5 * lift, 2 / lift)).astype(int)
    nps = rng.integers(-60, 90, n).astype(str).astype(object)
    nps[rng.random(n) < 0.3] = ""
    usage = pd.DataFrame(
        {
            "AccountId": account_ids,
            "Logins30d": (active * rng.uniform(2, 25, n)).astype(int),
            "ActiveUsers": active,
            "LicensedUsers": licensed,
            "FeaturesAdopted": (20 * rng.beta(2 * lift, 2.5 / lift)).astype(int),
            "FeaturesAvailable": 20,
            "OpenTickets": rng.poisson(1.5 / lift),
            "NPS": nps,
            "OnboardingCompletion": rng.beta(4 * lift, 1.5).round(2),
        }
    )
    return usage[rng.random(n) >= 0.12].reset_index(drop=True)


def change_accounts(
    accounts: pd.DataFrame, share: float, seed: int, modified_at: datetime
) -> tuple[pd.DataFrame, list[str]]:
    """A night's edits: `share` of the accounts get a new ARR (some a new industry or
    owner) and a SystemModstamp of `modified_at`. Returns the new export and changed ids."""
    rng = np.random.default_rng(seed)
    changed = accounts.copy()
    size = max(int(share > 0), round(len(changed) * share))  # 0 only when asked for none
    rows = rng.choice(len(changed), size=size, replace=False)
    arr = pd.to_numeric(
        changed["ARR__c"].iloc[rows].str.replace(r"[$,]", "", regex=True), errors="coerce"
    ).fillna(20_000.0)
    changed.iloc[rows, changed.columns.get_loc("ARR__c")] = (
        (arr * rng.uniform(0.6, 2.5, len(rows))).map("{:.2f}".format).to_numpy()
    )
    moved = rows[rng.random(len(rows)) < 0.2]
    changed.iloc[moved, changed.columns.get_loc("OwnerId")] = (
        "005U"
        + pd.Series(rng.integers(1, 13, len(moved)), dtype=int)
        .map("{:011d}".format)
        .astype(str)
        .to_numpy()
    )
    stamp = (modified_at + timedelta(seconds=1)).strftime(SALESFORCE_STAMP)
    changed.iloc[rows, changed.columns.get_loc("SystemModstamp")] = stamp
    return changed, changed["Id"].iloc[rows].tolist()

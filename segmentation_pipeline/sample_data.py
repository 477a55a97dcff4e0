"""A deterministic generator of a realistic, messy CRM export.

It writes what an operator would really get out of Salesforce and a product-analytics
tool: free-text industries, five spellings of a country, employee counts as text,
websites with schemes and paths, duplicate accounts, blanks. The bundled sample under
`segmentation_pipeline/data/sample_crm/` was written by `write_sample_crm` with the
defaults below, so tests and the demo see the same data every time.

Messy, but a base in decent health by the methodology's own thresholds, so that a night
on the sample raises no warning and a warning means something: about 3.5% duplicate
records (target < 5%), a vendor file that knows ~93% of the domains and 4% of accounts
without a website (match rate ~89%, target 85%, inside the 75-90% vendors typically
reach), and engagement and ARR that follow one latent fit strongly enough for the
composite tiers to spread about 20 / 52 / 28% (bands 15-25 / 40-55 / 25-35%).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

SAMPLE_AS_OF = datetime(2026, 11, 1)
SAMPLE_SIZE = 1500
SAMPLE_SEED = 20261101

# Canonical industry -> how people actually type it in a CRM.
_INDUSTRY_SPELLINGS: dict[str, list[str]] = {
    "Software": ["Software", "software", "SaaS", "Computer Software", "Software Development"],
    "Financial Services": ["Financial Services", "Banking", "Fin Services", "finance", "FinTech"],
    "Healthcare": ["Healthcare", "Health Care", "Hospital & Health Care", "healthcare"],
    "Professional Services": ["Professional Services", "Consulting", "Management Consulting"],
    "Telecommunications": ["Telecommunications", "Telecom", "telco"],
    "Manufacturing": ["Manufacturing", "manufacturing", "Industrial Manufacturing", "Mfg"],
    "Logistics": ["Logistics", "Transportation & Logistics", "Supply Chain"],
    "Media": ["Media", "Media & Entertainment", "Publishing"],
    "Energy": ["Energy", "Oil & Energy", "Utilities"],
    "Retail": ["Retail", "retail", "E-commerce", "Consumer Goods"],
    "Education": ["Education", "EdTech", "Higher Education"],
    "Hospitality": ["Hospitality", "Hotels", "Travel & Hospitality"],
    "Government": ["Government", "Public Sector"],
    "Non-Profit": ["Non-Profit", "Nonprofit", "NGO"],
}
_INDUSTRY_WEIGHTS = [14, 10, 8, 7, 4, 9, 5, 4, 4, 7, 4, 3, 2, 2]

_COUNTRY_SPELLINGS: dict[str, list[str]] = {
    "US": ["United States", "USA", "US", "U.S.", "United States of America", "usa"],
    "CA": ["Canada", "CA", "CAN"],
    "GB": ["United Kingdom", "UK", "GB", "Great Britain", "England"],
    "DE": ["Germany", "Deutschland", "DE", "DEU"],
    "FR": ["France", "FR", "FRA"],
    "NL": ["Netherlands", "The Netherlands", "NL", "Holland"],
    "AU": ["Australia", "AU", "AUS"],
    "IE": ["Ireland", "IE"],
    "ES": ["Spain", "España", "ES"],
    "IN": ["India", "IN", "IND"],
    "JP": ["Japan", "JP"],
    "SG": ["Singapore", "SG"],
    "BR": ["Brazil", "Brasil", "BR"],
    "MX": ["Mexico", "México", "MX"],
}
_COUNTRY_WEIGHTS = [40, 6, 10, 7, 5, 3, 4, 2, 3, 5, 3, 3, 3, 2]
_CITIES = {
    "US": ["New York", "San Francisco", "Austin", "Chicago", "Boston"],
    "CA": ["Toronto", "Vancouver"],
    "GB": ["London", "Manchester"],
    "DE": ["Berlin", "Munich"],
    "FR": ["Paris", "Lyon"],
    "NL": ["Amsterdam"],
    "AU": ["Sydney", "Melbourne"],
    "IE": ["Dublin"],
    "ES": ["Madrid", "Barcelona"],
    "IN": ["Bangalore", "Mumbai"],
    "JP": ["Tokyo"],
    "SG": ["Singapore"],
    "BR": ["São Paulo"],
    "MX": ["Mexico City"],
}
_PHONE_PREFIX = {
    "US": "+1 415", "CA": "+1 416", "GB": "+44 20", "DE": "+49 30", "FR": "+33 1",
    "NL": "+31 20", "AU": "+61 2", "IE": "+353 1", "ES": "+34 91", "IN": "+91 80",
    "JP": "+81 3", "SG": "+65 6", "BR": "+55 11", "MX": "+52 55",
}  # fmt: skip

_NAME_HEADS = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Hooli", "Vandelay",
    "Soylent", "Cyberdyne", "Tyrell", "Aperture", "Massive", "Gringotts", "Oscorp", "Nakatomi",
    "Pied Piper", "Dunder", "Monarch", "Sterling", "Blue Sun", "Vortex", "Northwind", "Contoso",
    "Fabrikam", "Tailspin", "Litware", "Proseware", "Adatum", "Lucerne", "Wingtip", "Alpine",
    "Coho", "Fourth Coffee", "Humongous", "Margie", "Trey", "Woodgrove", "Relecloud",
]  # fmt: skip
_NAME_TAILS = [
    "Systems", "Labs", "Analytics", "Holdings", "Networks", "Dynamics", "Solutions",
    "Logistics", "Health", "Energy", "Media", "Capital", "Robotics", "Foods", "Works", "Group",
    "Digital",
]  # fmt: skip
_SUFFIXES = ["Inc", "Inc.", "LLC", "Ltd", "GmbH", "Corp", "Corporation", "S.A.", "B.V.", ""]
_CONTRACT_TERMS = ["Multi-year", "Annual (renewing)", "Annual (new)", "Month-to-month", "Past due"]
_STRATEGIC = [
    "Named logo", "Reference customer", "Industry influencer", "Standard", "Commodity",
    "Misaligned",
]  # fmt: skip
_GROWTH = ["Growth", "Scale-up", "Established", "Mature", "Early-stage", "Pre-revenue"]
_TIERS = ["Tier 1", "Tier 2", "Tier 3"]


@dataclass(frozen=True)
class SampleCrm:
    accounts: pd.DataFrame
    usage: pd.DataFrame
    firmographics: pd.DataFrame


def _messy_employees(rng: np.random.Generator, n: int) -> str:
    """Render a true headcount the way exports carry it."""
    style = rng.random()
    if style < 0.70:
        return str(n)
    if style < 0.80:
        return f"{n:,}"
    if style < 0.85:
        return f"{max(1, n // 2)}-{n}"
    if style < 0.88:
        return f"{n}+"
    if style < 0.90:
        return "n/a"
    return ""


def _messy_website(rng: np.random.Generator, domain: str) -> str:
    style = rng.integers(0, 6)
    return [
        domain,
        f"https://www.{domain}",
        f"http://{domain}/about",
        f"WWW.{domain.upper()}",
        f"https://{domain}/",
        f"www.{domain}",
    ][style]


def generate_sample_crm(
    n_accounts: int = SAMPLE_SIZE,
    seed: int = SAMPLE_SEED,
    as_of: datetime = SAMPLE_AS_OF,
    duplicate_share: float = 0.035,
) -> SampleCrm:
    """Build accounts, product usage and an offline firmographics file, deterministically."""
    rng = np.random.default_rng(seed)
    industries = list(_INDUSTRY_SPELLINGS)
    countries = list(_COUNTRY_SPELLINGS)
    ind_p = np.array(_INDUSTRY_WEIGHTS) / sum(_INDUSTRY_WEIGHTS)
    cty_p = np.array(_COUNTRY_WEIGHTS) / sum(_COUNTRY_WEIGHTS)

    n_unique = max(1, round(n_accounts * (1 - duplicate_share)))
    companies = []
    for i in range(n_unique):
        head = _NAME_HEADS[i % len(_NAME_HEADS)]
        tail = _NAME_TAILS[(i // len(_NAME_HEADS)) % len(_NAME_TAILS)]
        serial = i // (len(_NAME_HEADS) * len(_NAME_TAILS))
        base = f"{head} {tail}" + (f" {serial + 1}" if serial else "")
        domain = base.lower().replace(" ", "") + rng.choice([".com", ".io", ".co", ".net"])
        country = countries[rng.choice(len(countries), p=cty_p)]
        industry = industries[rng.choice(len(industries), p=ind_p)]
        # One latent "fit" per company drives size, value and engagement together, as in a
        # real base where large customers also use more and sign longer contracts.
        fit = float(rng.normal())
        employees = int(np.clip(rng.lognormal(5.3 + 0.9 * fit, 1.1), 3, 60000))
        arr = float(np.clip(rng.lognormal(10.35 + 1.0 * fit, 0.7), 2000, 1_500_000))
        companies.append((base, domain, country, industry, employees, arr, fit))

    rows = []
    for i, (base, domain, country, industry, employees, arr, fit) in enumerate(companies):
        created = as_of - timedelta(days=int(rng.integers(3, 1500)))
        row = _account_row(
            rng, i, base, domain, country, industry, employees, arr, fit, created, as_of
        )
        rows.append(row)
    # Duplicates: the same company entered again with variations and gaps.
    n_dupes = n_accounts - n_unique
    for j in range(n_dupes):
        src = rows[int(rng.integers(0, n_unique))]
        dup = dict(src)
        dup["Id"] = f"001D{n_unique + j:011d}"
        dup["Name"] = src["Name"].upper() if rng.random() < 0.5 else src["Name"].rstrip(".")
        for field in ("Industry", "NumberOfEmployees", "Phone", "BillingCity"):
            if rng.random() < 0.4:
                dup[field] = ""
        dup["Website"] = _messy_website(rng, src["_domain"])
        rows.append(dup)
    order = rng.permutation(len(rows))
    accounts = pd.DataFrame([rows[k] for k in order])
    firmographics = _firmographics(rng, companies)
    usage = _usage(rng, accounts)
    # Products come from their own stream, so adding them left accounts unchanged.
    usage = _with_products(usage, accounts, np.random.default_rng([seed, 2]))
    return SampleCrm(accounts.drop(columns=["_domain", "_fit"]), usage, firmographics)


def _prior_tier(draw: float, overridden: bool) -> str:
    """Most accounts have no tier yet (a first deployment); one in eight carries a tier a
    person set by hand earlier, which the pipeline will challenge through the review queue.
    A manual override always comes with the tier the person chose."""
    if overridden:
        return _TIERS[min(2, int(draw * 3))]
    if draw < 0.875:
        return ""
    return _TIERS[min(2, int((draw - 0.875) / 0.125 * 3))]


def _tilted(
    rng: np.random.Generator, options: list[str], weights: list[float], fit: float, strength: float
) -> str:
    """Pick from options listed best first, leaning towards the best ones as fit rises."""
    center = (len(options) - 1) / 2
    tilt = np.exp(strength * fit * (center - np.arange(len(options))))
    p = np.array(weights) * tilt
    return str(rng.choice(options, p=p / p.sum()))


def _account_row(rng, i, base, domain, country, industry, employees, arr, fit, created, as_of):
    blank = rng.random(8)
    industry_text = "" if blank[0] < 0.18 else str(rng.choice(_INDUSTRY_SPELLINGS[industry]))
    if industry_text and rng.random() < 0.03:
        industry_text = "Miscellaneous"
    modified = created + (as_of - created) * float(rng.random())
    arr_value: str
    if blank[1] < 0.03:
        arr_value = ""
    elif blank[1] < 0.08:
        arr_value = f"${arr:,.0f}"
    else:
        arr_value = f"{arr:.2f}"
    expansion = arr * float(
        _tilted(
            rng,
            ["1.2", "0.6", "0.3", "0.1", "0.0", "-0.2"],
            [0.1, 0.15, 0.2, 0.2, 0.3, 0.05],
            fit,
            0.8,
        )
    )
    return {
        "Id": f"001A{i:011d}",
        "Name": f"{base} {rng.choice(_SUFFIXES)}".strip(),
        "Website": "" if blank[2] < 0.04 else _messy_website(rng, domain),
        "Industry": industry_text,
        "NumberOfEmployees": _messy_employees(rng, employees),
        "AnnualRevenue": "" if blank[3] < 0.4 else f"{employees * rng.uniform(80e3, 250e3):.0f}",
        "BillingCountry": "" if blank[4] < 0.05 else str(rng.choice(_COUNTRY_SPELLINGS[country])),
        "BillingCity": str(rng.choice(_CITIES[country])),
        "Phone": ""
        if blank[5] < 0.15
        else f"{_PHONE_PREFIX[country]} {rng.integers(1000000, 9999999)}",
        "OwnerId": owner_id(int(rng.integers(1, len(CSM_NAMES) + 1))),
        "CreatedDate": created.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "SystemModstamp": modified.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "ARR__c": arr_value,
        "Contract_Term__c": ""
        if blank[6] < 0.05
        else _tilted(rng, _CONTRACT_TERMS, [0.2, 0.35, 0.2, 0.2, 0.05], fit, 0.9),
        "Contract_End_Date__c": (created + timedelta(days=365 * int(rng.integers(1, 4)))).strftime(
            "%Y-%m-%d"
        ),
        "Expansion_Pipeline__c": f"{expansion:.2f}",
        "Strategic_Importance__c": str(
            _tilted(rng, _STRATEGIC, [0.04, 0.04, 0.1, 0.6, 0.17, 0.05], fit, 0.9)
        ),
        "Growth_Stage__c": "" if blank[7] < 0.2 else str(rng.choice(_GROWTH)),
        # Drawn in place (the walrus keeps the random stream in its historical order).
        "Segment_Override__c": "true" if (overridden := bool(rng.random() < 0.02)) else "false",
        "Customer_Tier__c": _prior_tier(float(rng.random()), overridden),
        "_domain": domain,
        "_fit": fit,
    }


def _firmographics(rng: np.random.Generator, companies: list) -> pd.DataFrame:
    """What an offline vendor file knows: most domains, with its own (clean) values."""
    rows = []
    for _base, domain, country, industry, employees, _arr, _fit in companies:
        if rng.random() < 0.07:
            continue
        rows.append(
            {
                "domain": domain,
                "industry": industry,
                "employees": int(employees * rng.uniform(0.9, 1.1)),
                "annual_revenue": round(employees * rng.uniform(80e3, 250e3), -3),
                "country_code": country,
            }
        )
    return pd.DataFrame(rows)


def _usage(rng: np.random.Generator, accounts: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for account_id, fit in zip(accounts["Id"], accounts["_fit"], strict=True):
        if rng.random() < 0.12:
            continue  # no usage data for this account
        lift = float(np.exp(1.4 * fit))
        licensed = int(rng.integers(5, 500))
        active = int(licensed * rng.beta(2.5 * lift, 2 / lift))
        available = 20
        rows.append(
            {
                "AccountId": account_id,
                "Logins30d": int(active * rng.uniform(2, 25)),
                "ActiveUsers": active,
                "LicensedUsers": licensed,
                "FeaturesAdopted": int(available * rng.beta(2 * lift, 2.5 / lift)),
                "FeaturesAvailable": available,
                "OpenTickets": int(rng.poisson(1.5 / lift)),
                "NPS": "" if rng.random() < 0.3 else int(rng.integers(-60, 90)),
                "OnboardingCompletion": round(float(rng.beta(4 * lift, 1.5)), 2),
            }
        )
    return pd.DataFrame(rows)


_ADD_ONS = {"Analytics": 0.2, "Integrations": 0.08}
CORE_PRODUCT = "Core Platform"


def _with_products(usage: pd.DataFrame, accounts: pd.DataFrame, rng: np.random.Generator):
    """Multi-product customers (methodology edge case 2): every usage row becomes the core
    platform's; some accounts also run add-ons, each with its own usage and ARR. The
    products' ARR adds up to the account's ARR."""
    arr_text = accounts.set_index("Id")["ARR__c"].str.replace(r"[$,]", "", regex=True)
    arr = pd.to_numeric(arr_text, errors="coerce")
    core = usage.assign(Product=CORE_PRODUCT, ProductARR=np.nan)
    add_on_rows = []
    add_on_arr = pd.Series(0.0, index=core.index)
    for product, share in _ADD_ONS.items():
        for position, account_id in zip(core.index, core["AccountId"], strict=True):
            if rng.random() >= share:
                continue
            total = arr.get(account_id, np.nan)
            price = (
                np.nan
                if pd.isna(total)
                else round(min(float(rng.uniform(2_000, 30_000)), 0.4 * total), 2)
            )
            add_on_arr[position] += 0 if pd.isna(price) else price
            licensed = int(rng.integers(3, 200))
            active = int(licensed * rng.beta(1.5, 3))
            add_on_rows.append(
                {
                    "AccountId": account_id,
                    "Logins30d": int(active * rng.uniform(1, 15)),
                    "ActiveUsers": active,
                    "LicensedUsers": licensed,
                    "FeaturesAdopted": int(10 * rng.beta(1.5, 3)),
                    "FeaturesAvailable": 10,
                    "OpenTickets": int(rng.poisson(0.5)),
                    "NPS": "",
                    "OnboardingCompletion": round(float(rng.beta(2, 2)), 2),
                    "Product": product,
                    "ProductARR": price,
                }
            )
    core_arr = core["AccountId"].map(arr) - add_on_arr
    core["ProductARR"] = core_arr.round(2)
    return pd.concat([core, pd.DataFrame(add_on_rows)], ignore_index=True)


# The CSMs who own the sample's accounts, as a User export names them (owners.csv).
CSM_NAMES = (
    "Avery Chen", "Jordan Patel", "Sam Okafor", "Riley Novak", "Morgan Silva", "Casey Dubois",
    "Taylor Nakamura", "Jamie Kowalski", "Quinn Adeyemi", "Drew Lindqvist", "Parker Rossi",
    "Reese Haddad",
)  # fmt: skip


def owner_id(number: int) -> str:
    """The Salesforce User Id of the sample's CSM number `number` (1-based)."""
    return f"005U{number:011d}"


def sample_owners() -> pd.DataFrame:
    """OwnerId -> Name for the twelve owners the generator draws from."""
    ids = [owner_id(i) for i in range(1, len(CSM_NAMES) + 1)]
    return pd.DataFrame({"OwnerId": ids, "Name": list(CSM_NAMES)})


def write_sample_crm(folder: str | Path, **kwargs) -> SampleCrm:
    """Write accounts.csv, product_usage.csv, firmographics.csv and owners.csv into
    `folder`."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    sample = generate_sample_crm(**kwargs)
    sample.accounts.to_csv(out / "accounts.csv", index=False)
    sample.usage.to_csv(out / "product_usage.csv", index=False)
    sample.firmographics.to_csv(out / "firmographics.csv", index=False)
    sample_owners().to_csv(out / "owners.csv", index=False)
    return sample

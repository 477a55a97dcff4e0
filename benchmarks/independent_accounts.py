"""A second generator of labelled CRM accounts, with its own error model, so the matcher
is not judged only on the data it was tuned against (benchmarks/messy_accounts.py).

It shares only the interface with the first generator: Salesforce Account columns as
text, and a truth frame (Id, entity_id). The world it draws is different:

* companies live in cities drawn from a skewed (Zipf) distribution, and a fixed list of
  common names ("Summit Group", "Pioneer Consulting", ...) is taken by a fixed *share*
  of companies, so the namesakes in one city grow with the base: a million accounts
  hold ten times the "Summit Group"s of Denver that a hundred thousand do;
* parents and subsidiaries: "Norvex" and "Norvex Logistics" / "Norvex Capital" are
  different customers; a subsidiary often answers on the parent's switchboard, now and
  then uses the parent's domain;
* the same company appears again after a rebrand (a second domain, sometimes a new
  descriptor word in the name), after an office move (another city and phone), with a
  stale phone, a typo in its domain, or a domain on another public suffix;
* plus the ordinary mess: legal-form variants, case, accents, typos, "&"/"and", a
  dropped descriptor, phones written nationally or internationally, websites as URLs or
  e-mail addresses, countries as codes, names or native names, missing fields.

    generate(n, seed) -> IndependentAccounts(accounts=<Salesforce columns>, truth=<Id, entity_id>)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers

from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS

# --- the world -------------------------------------------------------------------------

# country -> (share of companies, spellings, legal forms, cities (largest first))
_COUNTRIES = {
    "US": (
        0.42,
        ["US", "USA", "United States", "United States of America", "U.S."],
        ["Inc", "Inc.", "LLC", "Corp", "Corporation", "Incorporated"],
        "New York|Los Angeles|Chicago|Houston|Phoenix|Philadelphia|San Antonio|San Diego|"
        "Dallas|Austin|Denver|Seattle|Boston|Atlanta|Miami|Portland|Nashville|Detroit|"
        "Minneapolis|Charlotte|Columbus|Indianapolis|Raleigh|Tampa|Pittsburgh|Cincinnati|"
        "Kansas City|Cleveland|Orlando|Sacramento|Salt Lake City|Omaha|Tulsa|Boise|Madison",
    ),
    "GB": (
        0.14,
        ["GB", "UK", "United Kingdom", "Great Britain", "England"],
        ["Ltd", "Ltd.", "Limited", "PLC", "LLP"],
        "London|Manchester|Birmingham|Leeds|Glasgow|Edinburgh|Bristol|Liverpool|Sheffield|"
        "Cardiff|Nottingham|Leicester|Cambridge|Oxford|Reading|Brighton|Aberdeen|York",
    ),
    "DE": (
        0.12,
        ["DE", "Germany", "Deutschland", "DEU"],
        ["GmbH", "AG", "GmbH & Co. KG", "KG", "SE"],
        "Berlin|Hamburg|München|Köln|Frankfurt am Main|Stuttgart|Düsseldorf|Leipzig|"
        "Dortmund|Essen|Bremen|Dresden|Hannover|Nürnberg|Mannheim|Karlsruhe|Münster|Bonn",
    ),
    "FR": (
        0.09,
        ["FR", "France", "FRA"],
        ["SA", "SAS", "SARL", "S.A.S."],
        "Paris|Marseille|Lyon|Toulouse|Nice|Nantes|Strasbourg|Montpellier|Bordeaux|Lille|"
        "Rennes|Reims|Grenoble|Dijon|Angers",
    ),
    "NL": (
        0.06,
        ["NL", "Netherlands", "The Netherlands", "Nederland", "Holland"],
        ["B.V.", "BV", "N.V."],
        "Amsterdam|Rotterdam|Den Haag|Utrecht|Eindhoven|Groningen|Tilburg|Almere|Breda|"
        "Nijmegen|Haarlem|Arnhem",
    ),
    "CA": (
        0.07,
        ["CA", "Canada", "CAN"],
        ["Inc", "Ltd", "Corp", "Ltée"],
        "Toronto|Montréal|Vancouver|Calgary|Edmonton|Ottawa|Winnipeg|Québec|Hamilton|"
        "Kitchener|Halifax|Victoria|Saskatoon|Regina",
    ),
    "AU": (
        0.05,
        ["AU", "Australia", "AUS"],
        ["Pty Ltd", "Pty. Ltd.", "Ltd"],
        "Sydney|Melbourne|Brisbane|Perth|Adelaide|Gold Coast|Canberra|Newcastle|Hobart|"
        "Darwin|Geelong|Cairns",
    ),
    "ES": (
        0.05,
        ["ES", "Spain", "España", "ESP"],
        ["SL", "S.L.", "SA", "S.A."],
        "Madrid|Barcelona|Valencia|Sevilla|Zaragoza|Málaga|Murcia|Palma|Bilbao|Alicante|"
        "Córdoba|Valladolid|Vigo|Gijón",
    ),
}

_INDUSTRIES = [
    "Software", "Financial Services", "Healthcare", "Professional Services",
    "Telecommunications", "Manufacturing", "Logistics", "Media", "Energy", "Retail",
    "Education", "Hospitality", "Government", "Non-Profit",
]  # fmt: skip
_INDUSTRY_SPELLINGS = {
    "Software": ["Software", "software", "SaaS", "Computer Software"],
    "Financial Services": ["Financial Services", "Finance", "Banking"],
    "Healthcare": ["Healthcare", "Health Care", "Hospital & Health Care"],
    "Professional Services": ["Professional Services", "Consulting"],
    "Telecommunications": ["Telecommunications", "Telecom"],
    "Manufacturing": ["Manufacturing", "Industrial"],
    "Logistics": ["Logistics", "Transportation"],
}
# Words a company's own name is built from (a made-up stem) and the descriptors after it.
_SYLLABLES = [
    "ka", "ve", "lo", "tra", "mi", "zen", "qu", "ar", "no", "ri", "sa", "tel", "vor",
    "bri", "den", "fa", "lu", "xo", "pra", "gen", "ul", "mo", "hal", "cer", "dra", "sin",
    "vik", "ter", "ola", "bex", "rum", "pel", "tor", "nis", "fyn", "gra", "cal", "mex",
    "osh", "ril", "pax", "dun",
]  # fmt: skip
_DESCRIPTORS = [
    "Systems", "Solutions", "Technologies", "Labs", "Logistics", "Capital", "Health",
    "Partners", "Analytics", "Networks", "Foods", "Energy", "Media", "Robotics",
    "Software", "Consulting", "Group", "Holdings", "Industries", "Dynamics", "Works",
    "Studio", "Bio", "Pharma", "Security", "Cloud", "Data", "Foods", "Freight",
    "Financial",
]  # fmt: skip
# Names many unrelated companies go by. A fixed list taken by a fixed share of companies:
# the more companies, the more namesakes per name and city.
_COMMON_STEMS = [
    "Summit", "Pioneer", "Apex", "Horizon", "Global", "United", "Premier", "Pinnacle",
    "Atlas", "Eagle", "Liberty", "Keystone", "Sterling", "Cornerstone", "Heritage",
    "Frontier", "Evergreen", "Beacon", "Granite", "Northstar", "Silverline", "Bluewater",
    "Redwood", "Crown", "Meridian", "Vantage", "Legacy", "Phoenix", "Alliance", "Patriot",
]  # fmt: skip
_COMMON_TAILS = "Group|Consulting|Solutions|Partners|Services|Holdings|Associates|Systems"
_COMMON_NAMES = [f"{s} {t}" for s in _COMMON_STEMS for t in _COMMON_TAILS.split("|")]
_TLDS = {"US": [".com"], "CA": [".ca", ".com"], "GB": [".co.uk", ".com"], "DE": [".de"],
         "FR": [".fr"], "NL": [".nl"], "AU": [".com.au"], "ES": [".es"]}  # fmt: skip

COMMON_NAME_SHARE = 0.10
SUBSIDIARY_SHARE = 0.06


@dataclass
class IndependentAccounts:
    accounts: pd.DataFrame  # Salesforce Account columns, all text
    truth: pd.DataFrame  # Id, entity_id


# --- phones ----------------------------------------------------------------------------


def _phone_prefixes(country: str, rng: np.random.Generator) -> tuple[int, list[str], int]:
    """Valid national-number prefixes of one country (all but the last four digits)."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    code, national = example.country_code, str(example.national_number)
    found: set[str] = set()
    for _ in range(4000):
        head = national[0] + "".join(rng.choice(list("0123456789"), len(national) - 5))
        if all(
            phonenumbers.is_valid_number(
                phonenumbers.PhoneNumber(country_code=code, national_number=int(head + tail))
            )
            for tail in ("0000", "5731", "9999")
        ):
            found.add(head)
        if len(found) >= 60:
            break
    return code, sorted(found), len(national)


def _phones(country: np.ndarray, rng: np.random.Generator, tables: dict) -> np.ndarray:
    """A distinct random valid number per row as (country code, national digits)."""
    out = np.empty(len(country), dtype=object)
    for c in np.unique(country):
        rows = np.flatnonzero(country == c)
        code, prefixes, _ = tables[c]
        space = len(prefixes) * 10_000
        picked = rng.choice(space, size=min(len(rows), space), replace=False)
        picked = np.resize(picked, len(rows))
        head = np.asarray(prefixes, dtype=object)[picked // 10_000]
        tail = np.char.zfill((picked % 10_000).astype(str), 4).astype(object)
        out[rows] = [f"{code}|{h}{t}" for h, t in zip(head, tail, strict=True)]
    return out


def _written_phone(value: str, style: int) -> str:
    code, national = value.split("|")
    if style == 0:
        return f"+{code} {national[:3]} {national[3:6]} {national[6:]}"
    if style == 1:
        return f"+{code}{national}"
    if style == 2:
        return f"00{code}-{national}"
    if code == "1":
        return f"({national[:3]}) {national[3:6]}-{national[6:]}"
    return f"0{national[:3]} {national[3:]}"


# --- text noise ------------------------------------------------------------------------


def _typo(text: str, rng: np.random.Generator) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = letters[int(rng.integers(1, len(letters)))]
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + "aeiounrst"[int(rng.integers(0, 9))] + text[i + 1 :]


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _stem(rng: np.random.Generator, size: int) -> np.ndarray:
    """Made-up brand words of two or three syllables (a large space: few collide)."""
    parts = np.asarray(_SYLLABLES, dtype=object)
    count = rng.integers(2, 4, size)
    a, b, c = (parts[rng.integers(0, len(parts), size)] for _ in range(3))
    words = np.where(count == 2, a + b, a + b + c)
    return np.array([w.capitalize() for w in words], dtype=object)


def _domain_label(name: str) -> str:
    return "".join(ch for ch in _ascii(name).lower() if ch.isalnum())


# --- the generator ---------------------------------------------------------------------


def generate(n: int, seed: int = 11) -> IndependentAccounts:
    """About `n` account records of companies with known identities."""
    rng = np.random.default_rng(seed)
    mean_records = 1.58
    companies = max(int(n / mean_records), 2)

    # Countries and Zipf-skewed cities.
    names_c = list(_COUNTRIES)
    share = np.array([_COUNTRIES[c][0] for c in names_c])
    country = np.asarray(names_c, dtype=object)[
        rng.choice(len(names_c), companies, p=share / share.sum())
    ]
    city = np.empty(companies, dtype=object)
    for c in names_c:
        rows = np.flatnonzero(country == c)
        cities = _COUNTRIES[c][3].split("|")
        weight = 1 / np.arange(1, len(cities) + 1) ** 1.1
        city[rows] = np.asarray(cities, dtype=object)[
            rng.choice(len(cities), len(rows), p=weight / weight.sum())
        ]

    # Names: own brand + descriptor, common names, subsidiaries of an earlier company.
    stem = _stem(rng, companies)
    descriptor = np.asarray(_DESCRIPTORS, dtype=object)[
        rng.integers(0, len(_DESCRIPTORS), companies)
    ]
    bare = rng.random(companies) < 0.2
    name = np.where(bare, stem, stem + " " + descriptor)
    kind = rng.random(companies)
    common = kind < COMMON_NAME_SHARE
    common_name = np.asarray(_COMMON_NAMES, dtype=object)[
        rng.integers(0, len(_COMMON_NAMES), companies)
    ]
    name = np.where(common, common_name, name)
    subsidiary = (kind >= COMMON_NAME_SHARE) & (kind < COMMON_NAME_SHARE + SUBSIDIARY_SHARE)
    parent = np.where(subsidiary, rng.integers(0, companies, companies), -1)
    parent[subsidiary & (parent == np.arange(companies))] = -1
    parent[parent >= 0] = np.where(common[parent[parent >= 0]], -1, parent[parent >= 0])
    subsidiary = parent >= 0
    sub_rows = np.flatnonzero(subsidiary)
    other_descriptor = np.asarray(_DESCRIPTORS, dtype=object)[
        rng.integers(0, len(_DESCRIPTORS), len(sub_rows))
    ]
    clash = other_descriptor == descriptor[parent[sub_rows]]
    other_descriptor[clash] = [
        _DESCRIPTORS[(_DESCRIPTORS.index(d) + 1) % len(_DESCRIPTORS)]
        for d in other_descriptor[clash]
    ]
    name[sub_rows] = stem[parent[sub_rows]] + " " + other_descriptor
    stem[sub_rows] = stem[parent[sub_rows]]
    same_place = sub_rows[rng.random(len(sub_rows)) < 0.6]
    country[same_place], city[same_place] = country[parent[same_place]], city[parent[same_place]]

    # Domains: distinct per company, from the name, made unique where names collide.
    tld = np.array([_TLDS[c][int(rng.integers(0, len(_TLDS[c])))] for c in country], dtype=object)
    label = np.array([_domain_label(v) for v in name], dtype=object)
    style = rng.integers(0, 4, companies)
    label = np.where(style == 1, np.char.add(label.astype(str), "hq").astype(object), label)
    label = np.where(style == 2, [_domain_label(s) for s in stem], label)
    first = pd.Series(label + tld).duplicated(keep="first").to_numpy()
    suffix = np.char.mod("%d", rng.integers(2, 9999, companies)).astype(object)
    label = np.where(first, label + suffix, label)
    domain = label + tld
    first = pd.Series(domain).duplicated(keep="first").to_numpy()
    domain[first] = [
        f"{d.split('.')[0]}-{i}.{d.split('.', 1)[1]}"
        for d, i in zip(domain[first], np.flatnonzero(first), strict=True)
    ]
    shares_parent_domain = sub_rows[rng.random(len(sub_rows)) < 0.1]
    domain[shares_parent_domain] = domain[parent[shares_parent_domain]]
    has_domain = rng.random(companies) > 0.12

    # Phones: one per company; subsidiaries often reach the parent's switchboard.
    tables = {c: _phone_prefixes(c, rng) for c in names_c}
    phone = _phones(country, rng, tables)
    switchboard = sub_rows[(rng.random(len(sub_rows)) < 0.4)]
    switchboard = switchboard[country[switchboard] == country[parent[switchboard]]]
    phone[switchboard] = phone[parent[switchboard]]

    industry = np.asarray(_INDUSTRIES, dtype=object)[rng.integers(0, len(_INDUSTRIES), companies)]
    size = np.exp(rng.normal(4.0, 1.5, companies)).astype(int) + 1

    # Records per company: most have one; duplicates follow a geometric tail.
    extra = np.where(rng.random(companies) < 0.32, rng.geometric(0.55, companies), 0)
    extra = np.minimum(extra, 6)
    entity = np.repeat(np.arange(companies), extra + 1)
    records = len(entity)
    first_record = np.r_[True, entity[1:] != entity[:-1]]
    dup = ~first_record

    # Life events of a company, seen on some of its later records.
    event = rng.random(companies)
    rebrand = event < 0.06  # second domain (and sometimes a new descriptor)
    moved = (event >= 0.06) & (event < 0.12)  # another city and phone
    stale = (event >= 0.12) & (event < 0.18)  # an old phone on some records
    r = rng.random((records, 16))

    e_country, e_city, e_name = country[entity], city[entity].copy(), name[entity].copy()
    e_domain = domain[entity].copy()
    e_phone = phone[entity].copy()

    later = dup & (r[:, 0] < 0.6)
    rb = np.flatnonzero(later & rebrand[entity])
    new_label = np.array([_domain_label(s) for s in stem[entity[rb]]], dtype=object)
    variant = rng.integers(0, 3, len(rb))
    new_label = np.where(variant == 0, new_label + "group", new_label)
    new_label = np.where(variant == 1, new_label + "global", new_label)
    new_label = np.where(variant == 2, "get" + new_label, new_label)
    e_domain[rb] = new_label + ".com"
    renamed = rb[rng.random(len(rb)) < 0.3]
    e_name[renamed] = (
        stem[entity[renamed]]
        + " "
        + np.asarray(_DESCRIPTORS, dtype=object)[rng.integers(0, len(_DESCRIPTORS), len(renamed))]
    )

    mv = np.flatnonzero(later & moved[entity])
    for i in mv:
        cities = _COUNTRIES[e_country[i]][3].split("|")
        e_city[i] = cities[int(rng.integers(0, len(cities)))]
    e_phone[mv] = _phones(e_country[mv], rng, tables)

    st = np.flatnonzero(later & stale[entity])
    e_phone[st] = _phones(e_country[st], rng, tables)

    # Domain typos and a second public suffix on duplicates.
    typo_dom = np.flatnonzero(dup & (r[:, 1] < 0.03))
    e_domain[typo_dom] = [
        _typo(d.split(".", 1)[0], rng) + "." + d.split(".", 1)[1] for d in e_domain[typo_dom]
    ]
    other_tld = np.flatnonzero(dup & (r[:, 1] >= 0.03) & (r[:, 1] < 0.05))
    e_domain[other_tld] = [d.split(".", 1)[0] + ".net" for d in e_domain[other_tld]]

    # Ordinary mess on names.
    legal = np.array(
        [
            _COUNTRIES[c][2][int(k) % len(_COUNTRIES[c][2])]
            for c, k in zip(e_country, rng.integers(0, 4, records), strict=True)
        ]
        if records
        else [],
        dtype=object,
    )
    written = []
    for i in range(records):
        text = e_name[i]
        roll = r[i]
        if roll[2] < 0.55:
            text = f"{text} {legal[i]}" if roll[2] > 0.05 else f"{text}, {legal[i]}"
        if dup[i]:
            if roll[3] < 0.12:
                text = _typo(text, rng)
            if roll[4] < 0.06:
                text = text.upper()
            elif roll[4] < 0.12:
                text = text.lower()
            if roll[5] < 0.04 and " " in e_name[i] and not common[entity[i]]:
                text = text.split(" ")[0]
            if roll[6] < 0.05:
                text = _ascii(text)
            if roll[7] < 0.03:
                text = "The " + text
        written.append(text.replace(" and ", " & ") if roll[8] < 0.5 else text)
    names_out = np.asarray(written, dtype=object)

    # Websites: URLs, bare domains or e-mail addresses; missing on some.
    site_style = rng.integers(0, 5, records)
    site = np.select(
        [site_style == 0, site_style == 1, site_style == 2, site_style == 3],
        ["https://www." + e_domain, "http://" + e_domain + "/", "www." + e_domain,
         "info@" + e_domain],
        e_domain,
    ).astype(object)  # fmt: skip
    no_site = ~has_domain[entity] | (r[:, 9] < np.where(dup, 0.15, 0.05))
    site[no_site] = ""

    phone_style = rng.integers(0, 4, records)
    phones_out = np.array(
        [_written_phone(p, s) for p, s in zip(e_phone, phone_style, strict=True)], dtype=object
    )
    phones_out[r[:, 10] < np.where(dup, 0.2, 0.08)] = ""

    spell = np.array(
        [_COUNTRIES[c][1][int(k) % len(_COUNTRIES[c][1])] for c, k in
         zip(e_country, rng.integers(0, 5, records), strict=True)],
        dtype=object,
    )  # fmt: skip
    spell[r[:, 11] < 0.03] = ""
    cities_out = e_city.copy()
    cities_out[r[:, 12] < 0.1] = [_ascii(c) for c in cities_out[r[:, 12] < 0.1]]
    cities_out[(r[:, 12] >= 0.1) & (r[:, 12] < 0.15)] = [
        c.upper() for c in cities_out[(r[:, 12] >= 0.1) & (r[:, 12] < 0.15)]
    ]
    cities_out[r[:, 13] < 0.06] = ""

    e_industry = industry[entity]
    industry_out = np.array(
        [_INDUSTRY_SPELLINGS.get(v, [v])[int(k) % len(_INDUSTRY_SPELLINGS.get(v, [v]))]
         for v, k in zip(e_industry, rng.integers(0, 4, records), strict=True)],
        dtype=object,
    )  # fmt: skip
    industry_out[r[:, 14] < 0.15] = ""
    employees = (size[entity] * rng.uniform(0.85, 1.15, records)).astype(int) + 1
    arr = np.round(size[entity] * rng.uniform(400, 3000, records), -2)

    created = pd.Timestamp("2016-01-01") + pd.to_timedelta(
        rng.integers(0, 3500 * 86400, records), unit="s"
    )
    modified = created + pd.to_timedelta(rng.integers(0, 200 * 86400, records), unit="s")
    ids = np.array([f"001IND{v:09X}" for v in rng.permutation(records) + 0x10000], dtype=object)
    accounts = pd.DataFrame(
        {
            "Id": ids,
            "Name": names_out,
            "Website": site,
            "Industry": industry_out,
            "NumberOfEmployees": employees.astype(str),
            "AnnualRevenue": np.char.mod("%.0f", arr * rng.uniform(5, 30, records)),
            "BillingCountry": spell,
            "BillingCity": cities_out,
            "Phone": phones_out,
            "OwnerId": np.char.add(
                "005IND0", np.char.zfill(rng.integers(0, 300, records).astype(str), 6)
            ),
            "OwnerName": "",  # the extract reads owner names from User / owners.csv
            "CreatedDate": created.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "SystemModstamp": modified.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "ARR__c": np.char.mod("%.2f", arr),
            "Contract_Term__c": "",
            "Contract_End_Date__c": (created + pd.Timedelta(days=365)).strftime("%Y-%m-%d"),
            "Expansion_Pipeline__c": "",
            "Strategic_Importance__c": "",
            "Growth_Stage__c": "",
            "Segment_Override__c": "false",
            "Customer_Tier__c": "",
        }
    )
    order = rng.permutation(records)
    accounts = accounts.iloc[order].reset_index(drop=True)
    truth = pd.DataFrame({"Id": accounts["Id"], "entity_id": entity[order]})
    return IndependentAccounts(accounts.reindex(columns=list(RAW_ACCOUNT_COLUMNS)), truth)

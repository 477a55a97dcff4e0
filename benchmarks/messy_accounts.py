"""Messy CRM accounts with known duplicate clusters, for the dedup benchmark.

Each real-world company (an entity) gets one to eight account records. Every record is
messy the way CRM data is: countries spelt five ways, websites with schemes, paths and
e-mail addresses, phones in national and international formats, employee counts as
ranges and "n/a", ARR with currency signs, free-text industries. Duplicates add typos,
legal-suffix variants ("Inc" / "Inc." / "Incorporated" / none), case changes, "The",
dropped accents, abbreviations and missing fields, and now and then a second phone, a
second city or a second domain. Hard negatives are built in: namesakes (different
companies with the same name, mostly in other countries), siblings (same brand word,
different business) and generic names ("Global Solutions") shared by several companies.

    generate(n, seed) -> MessyAccounts(accounts=<Salesforce columns>, truth=<Id, entity_id>)
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np
import pandas as pd
import phonenumbers

from segmentation_pipeline.core.schema import RAW_ACCOUNT_COLUMNS
from segmentation_pipeline.framework import load_framework

# --- vocabulary ----------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_ONSETS = _words(
    "b br c cl cr d dr f fl fr g gl gr h j k kl l m n p pl pr qu r s sk sl sp st t tr v w z x "
    "sh ch th"
)
_VOWELS = _words("a e i o u ai ea io ou y")
_CODAS = ["", "", "n", "r", "x", "s", "l", "m", "t", "ck", "nt", "rd", "ve", "ra", "on", "ix"]
_SECTOR_WORDS = _words(
    "Logistics Analytics Systems Solutions Technologies Software Labs Health Capital Partners "
    "Consulting Media Energy Foods Retail Networks Robotics Digital Dynamics Industries "
    "Manufacturing Financial Insurance Pharma Telecom Studios Group Holdings Ventures Services "
    "Engineering Security Cloud Data Biotech Motors Freight Hotels Education Learning Design "
    "Marketing Trading Supply Materials Chemicals Devices Instruments Apparel Brands Interactive "
    "Entertainment Publishing Power Solar Water Utilities Bank Aerospace Medical Therapeutics"
)
_ADJECTIVES = _words(
    "Blue Red Green Silver Golden Bright Swift Summit Pinnacle Northern Southern Eastern Western "
    "Pacific Atlantic Global United First Prime Apex Nova True Clear Smart Rapid Grand Royal "
    "Noble Iron Crystal Urban Coastal Alpine Liberty Eagle Falcon Lion Oak Cedar Maple Pine "
    "River Lake Harbor Stone Star Sun Moon Sky Ocean Polar Delta Vertex Zenith Orbit Quantum "
    "Vector Fusion Titan Aurora Horizon Evergreen Keystone Heritage Frontier Pioneer Sterling"
)
_NOUNS = _words(
    "Harbor Ridge Peak Bridge Gate Point Field Wave Path Works Forge Grove Crest Valley Stream "
    "Rock Light Spring Tower Wing Arrow Shield Crown Key Anchor Compass Lantern Beacon Harvest "
    "Meadow Summit Canyon Island Bay Creek Hill Park Square Circle Line Loop Hub Nest Yard"
)
_SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson White Harris Clark Lewis Walker Hall Allen Young King Wright Scott Green Baker Adams "
    "Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards "
    "Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Kelly Howard Ward Cox "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schäfer Dubois Lefèvre "
    "Moreau Laurent Girard Rossi Russo Ferrari Esposito Bianchi García Fernández López Martínez "
    "Sánchez Pérez Tanaka Suzuki Watanabe Kowalski Nowak Nguyen Singh Patel Sharma O'Brien "
    "O'Connor MacDonald Jansen Visser Bakker Andersson Johansson Nielsen Hansen Silva Santos"
)
_ABBREVIATIONS = {
    "Technologies": "Tech",
    "International": "Intl",
    "Manufacturing": "Mfg",
    "Systems": "Sys",
    "Services": "Svcs",
    "Solutions": "Solns",
    "Logistics": "Log",
    "Engineering": "Eng",
    "Pharma": "Pharm",
    "Financial": "Fin",
}

# --- countries -----------------------------------------------------------------------
# code: (weight, spellings, cities, top-level domains)
_COUNTRIES: dict[str, tuple[float, list[str], list[str], list[str]]] = {
    "US": (
        38,
        [
            "United States",
            "USA",
            "US",
            "U.S.A.",
            "United States of America",
            "us",
            "America",
            "U.S.",
        ],
        [
            "New York",
            "San Francisco",
            "Chicago",
            "Austin",
            "Boston",
            "Seattle",
            "Los Angeles",
            "Atlanta",
            "Denver",
            "Miami",
            "Dallas",
            "Portland",
        ],
        [".com", ".com", ".com", ".io", ".net", ".co"],
    ),
    "GB": (
        10,
        ["United Kingdom", "UK", "GB", "England", "Great Britain", "GBR", "U.K."],
        ["London", "Manchester", "Edinburgh", "Bristol", "Leeds", "Birmingham"],
        [".co.uk", ".co.uk", ".com", ".uk"],
    ),
    "DE": (
        8,
        ["Germany", "Deutschland", "DE", "DEU", "germany"],
        ["Berlin", "München", "Hamburg", "Frankfurt", "Köln", "Stuttgart"],
        [".de", ".de", ".com"],
    ),
    "FR": (
        5,
        ["France", "FR", "FRA", "france", "République française"],
        ["Paris", "Lyon", "Marseille", "Toulouse", "Lille"],
        [".fr", ".fr", ".com"],
    ),
    "CA": (
        5,
        ["Canada", "CA", "CAN", "canada"],
        ["Toronto", "Vancouver", "Montréal", "Calgary", "Ottawa"],
        [".ca", ".com"],
    ),
    "AU": (
        4,
        ["Australia", "AU", "AUS", "australia"],
        ["Sydney", "Melbourne", "Brisbane", "Perth"],
        [".com.au", ".com.au", ".com"],
    ),
    "NL": (
        3,
        ["Netherlands", "The Netherlands", "Holland", "NL", "Nederland"],
        ["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"],
        [".nl", ".com"],
    ),
    "IN": (
        3,
        ["India", "IN", "IND", "Bharat"],
        ["Bengaluru", "Mumbai", "Delhi", "Pune", "Hyderabad"],
        [".in", ".co.in", ".com"],
    ),
    "ES": (
        2,
        ["Spain", "España", "ES", "ESP", "Espana"],
        ["Madrid", "Barcelona", "Valencia"],
        [".es", ".com"],
    ),
    "IT": (2, ["Italy", "Italia", "IT", "ITA"], ["Milano", "Roma", "Torino"], [".it", ".com"]),
    "JP": (
        2,
        ["Japan", "JP", "JPN", "Nippon", "日本"],
        ["Tokyo", "Osaka", "Yokohama"],
        [".co.jp", ".jp", ".com"],
    ),
    "BR": (
        2,
        ["Brazil", "Brasil", "BR", "BRA"],
        ["São Paulo", "Rio de Janeiro", "Curitiba"],
        [".com.br", ".com"],
    ),
    "MX": (
        2,
        ["Mexico", "México", "MX", "MEX"],
        ["Ciudad de México", "Monterrey", "Guadalajara"],
        [".com.mx", ".mx", ".com"],
    ),
    "SE": (
        2,
        ["Sweden", "Sverige", "SE", "SWE"],
        ["Stockholm", "Göteborg", "Malmö"],
        [".se", ".com"],
    ),
    "CH": (
        2,
        ["Switzerland", "Schweiz", "Suisse", "CH", "CHE"],
        ["Zürich", "Genève", "Basel"],
        [".ch", ".com"],
    ),
    "IE": (2, ["Ireland", "IE", "IRL", "Eire"], ["Dublin", "Cork", "Galway"], [".ie", ".com"]),
    "SG": (2, ["Singapore", "SG", "SGP"], ["Singapore"], [".com.sg", ".sg", ".com"]),
    "ZA": (
        1,
        ["South Africa", "ZA", "ZAF", "RSA"],
        ["Johannesburg", "Cape Town", "Durban"],
        [".co.za", ".com"],
    ),
    "BE": (
        1,
        ["Belgium", "België", "Belgique", "BE"],
        ["Brussels", "Antwerpen", "Gent"],
        [".be", ".com"],
    ),
    "DK": (1, ["Denmark", "Danmark", "DK"], ["København", "Aarhus"], [".dk", ".com"]),
    "AT": (1, ["Austria", "Österreich", "AT", "AUT"], ["Wien", "Graz", "Linz"], [".at", ".com"]),
    "NZ": (
        1,
        ["New Zealand", "NZ", "NZL", "Aotearoa"],
        ["Auckland", "Wellington"],
        [".co.nz", ".com"],
    ),
}
_SUFFIX_FAMILIES: dict[str, list[list[str]]] = {
    "US": [
        ["Inc", "Inc.", "Incorporated"],
        ["LLC", "L.L.C."],
        ["Corp", "Corp.", "Corporation"],
        ["Co", "Co.", "Company"],
    ],
    "CA": [["Inc", "Inc."], ["Ltd", "Ltd.", "Limited"], ["Corp", "Corporation"]],
    "GB": [["Ltd", "Ltd.", "Limited"], ["PLC", "plc"], ["LLP"]],
    "IE": [["Ltd", "Limited"], ["DAC"]],
    "DE": [["GmbH"], ["AG"], ["GmbH & Co. KG", "GmbH & Co KG"], ["SE"]],
    "AT": [["GmbH"], ["AG"]],
    "CH": [["AG"], ["SA"], ["GmbH"]],
    "FR": [["SAS", "S.A.S."], ["SA", "S.A."], ["SARL", "S.A.R.L."]],
    "NL": [["B.V.", "BV"], ["N.V.", "NV"]],
    "BE": [["BV", "B.V."], ["NV", "SA"]],
    "ES": [["S.L.", "SL"], ["S.A.", "SA"]],
    "IT": [["S.p.A.", "SpA"], ["S.r.l.", "Srl"]],
    "AU": [["Pty Ltd", "Pty. Ltd.", "Pty Limited"], ["Ltd", "Limited"]],
    "NZ": [["Ltd", "Limited"]],
    "JP": [["K.K.", "KK", "Kabushiki Kaisha"], ["Co., Ltd.", "Co. Ltd"]],
    "BR": [["Ltda", "Ltda."], ["S.A.", "SA"]],
    "MX": [["S.A. de C.V.", "SA de CV"]],
    "IN": [["Pvt Ltd", "Pvt. Ltd.", "Private Limited"], ["Ltd", "Limited"]],
    "SE": [["AB"]],
    "DK": [["A/S", "ApS"]],
    "SG": [["Pte Ltd", "Pte. Ltd."]],
    "ZA": [["(Pty) Ltd", "Pty Ltd"]],
}
_INDUSTRIES: dict[str, list[str]] = {
    "Software": [
        "Software",
        "Computer Software",
        "SaaS",
        "software",
        "Information Technology & Services",
        "IT Services",
        "Sofware",
        "Enterprise Software",
        "Internet",
    ],
    "Financial Services": [
        "Financial Services",
        "Banking",
        "Finance",
        "FinTech",
        "Insurance",
        "Fin Services",
        "financial services",
        "Financial Servces",
    ],
    "Healthcare": [
        "Healthcare",
        "Health Care",
        "Hospital & Health Care",
        "Medical Devices",
        "Pharmaceuticals",
        "Biotechnology",
        "Helthcare",
    ],
    "Professional Services": [
        "Professional Services",
        "Consulting",
        "Management Consulting",
        "Legal Services",
        "Accounting",
        "Staffing & Recruiting",
    ],
    "Telecommunications": [
        "Telecommunications",
        "Telecom",
        "Telco",
        "Wireless",
        "Telecomunications",
    ],
    "Manufacturing": [
        "Manufacturing",
        "Industrial Automation",
        "Machinery",
        "Automotive",
        "MFG",
        "Manufacturng",
    ],
    "Logistics": [
        "Logistics",
        "Logistics & Supply Chain",
        "Transportation",
        "Freight",
        "Logistik",
        "Logistcs",
    ],
    "Media": [
        "Media",
        "Media & Entertainment",
        "Publishing",
        "Broadcast Media",
        "Marketing & Advertising",
    ],
    "Energy": ["Energy", "Oil & Energy", "Utilities", "Renewables & Environment", "Energie"],
    "Retail": ["Retail", "E-Commerce", "Consumer Goods", "Apparel & Fashion", "retail"],
    "Education": ["Education", "Higher Education", "E-Learning", "EdTech", "Educaton"],
    "Hospitality": ["Hospitality", "Hotels", "Leisure, Travel & Tourism", "Restaurants"],
    "Government": ["Government", "Government Administration", "Public Sector"],
    "Non-Profit": ["Non-Profit", "Nonprofit", "Non-profit Organization Management", "NGO"],
}
_INDUSTRY_WEIGHTS = [18, 12, 9, 9, 5, 9, 6, 5, 5, 7, 5, 4, 3, 3]
_JUNK_INDUSTRIES = ["Misc", "Other", "Widgets", "Various", "TBD", "see notes"]
_ACCENTED = {"e": "é", "u": "ü", "o": "ö", "a": "à", "n": "ñ", "i": "í"}
_NEIGHBOUR_KEYS = dict(
    zip(string.ascii_lowercase, "qwertyuiopasdfghjklzxcvbnm"[1:] + "q", strict=True)
)


@dataclass(frozen=True)
class MessyAccounts:
    accounts: pd.DataFrame  # Salesforce Account columns, all text, as a CSV export gives
    truth: pd.DataFrame  # Id, entity_id


def _pick(rng: np.random.Generator, options: list, size: int, p=None) -> np.ndarray:
    weights = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=weights)]


def _picklist(rng: np.random.Generator, values, size: int) -> np.ndarray:
    """The framework's picklist values as people type them: mostly exact, some in the
    wrong case."""
    picked = _pick(rng, list(values), size)
    shout, whisper = rng.random(size) < 0.05, rng.random(size) < 0.05
    picked[shout] = [v.upper() for v in picked[shout]]
    picked[whisper] = [v.lower() for v in picked[whisper]]
    return picked


def _brands(rng: np.random.Generator, size: int) -> np.ndarray:
    """Invented brand words of two or three syllables ("Zentrix", "Quorabel"): distinctive,
    as brands are; shared names come from the generic patterns and the namesakes."""
    syllables = [_pick(rng, _ONSETS, size) + _pick(rng, _VOWELS, size) for _ in range(3)]
    third = np.where(rng.random(size) < 0.3, syllables[2], "")
    words = syllables[0] + syllables[1] + third + _pick(rng, _CODAS, size)
    return np.array([w.capitalize() for w in words], dtype=object)


def _base_names(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(company name without legal suffix, brand word) per entity."""
    brand = _brands(rng, size)
    sector = _pick(rng, _SECTOR_WORDS, size)
    adjective, noun = _pick(rng, _ADJECTIVES, size), _pick(rng, _NOUNS, size)
    first, second = _pick(rng, _SURNAMES, size), _pick(rng, _SURNAMES, size)
    pattern = rng.choice(7, size=size, p=[0.38, 0.15, 0.17, 0.06, 0.06, 0.03, 0.15])
    names = np.select(
        [pattern == 0, pattern == 1, pattern == 2, pattern == 3, pattern == 4, pattern == 5],
        [
            brand + " " + sector,
            brand,
            adjective + " " + noun + " " + sector,
            first + " & " + second,
            first + " " + sector,
            adjective + " " + sector,
        ],
        default=brand + " " + noun,
    )
    return names.astype(object), brand


def _accent(name: str, rng: np.random.Generator) -> str:
    spots = [i for i, ch in enumerate(name) if ch in _ACCENTED and i > 0]
    if not spots:
        return name
    i = spots[rng.integers(len(spots))]
    return name[:i] + _ACCENTED[name[i]] + name[i + 1 :]


def _typo(name: str, rng: np.random.Generator) -> str:
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 4:
        return name
    i = letters[rng.integers(len(letters))]
    kind = rng.integers(4)
    if kind == 0:
        return name[:i] + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i] + name[i:]
    if kind == 2 and i + 1 < len(name) and name[i + 1].isalpha():
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    low = name[i].lower()
    swap = _NEIGHBOUR_KEYS.get(low, low)
    return name[:i] + (swap.upper() if name[i].isupper() else swap) + name[i + 1 :]


def _strip_accents(name: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _phone_prefixes(region: str, rng: np.random.Generator) -> tuple[int, list[str]]:
    """Valid leading digits of national numbers of a region (tails of 6 digits are random)."""
    code = phonenumbers.country_code_for_region(region)
    found: set[str] = set()
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        national = phonenumbers.national_significant_number(example)
        keep = max(1, len(national) - 6)
        for _ in range(400):
            head = national[0] + "".join(rng.choice(list("0123456789"), size=keep - 1))
            candidate = head + "".join(rng.choice(list("0123456789"), size=len(national) - keep))
            number = phonenumbers.parse(f"+{code}{candidate}", None)
            if phonenumbers.is_valid_number(number):
                found.add(head + "|" + str(len(national) - keep))
    return code, sorted(found)


def _format_phone(code: int, national: str, style: int, trunk: str) -> str:
    grouped = " ".join(p for p in (national[:-7], national[-7:-4], national[-4:]) if p)
    if style == 5 and not trunk:
        style = 0
    if code == 1 and style in (1, 6):
        a, b, c = national[:3], national[3:6], national[6:]
        return f"({a}) {b}-{c}" if style == 1 else f"{a}.{b}.{c}"
    if style == 0:
        return f"+{code} {grouped}"
    if style == 1:
        return f"{trunk}{grouped}"
    if style == 2:
        return f"+{code}{national}"
    if style == 3:
        return f"{code}-{national[:3]}-{national[3:6]}-{national[6:]}"
    if style == 4:
        return f"00{code} {grouped}"
    return f"+{code} ({trunk}){grouped}"


def generate(n: int, seed: int = 7) -> MessyAccounts:
    """n messy account records with known entities (see the module docstring)."""
    rng = np.random.default_rng(seed)
    framework = load_framework()
    value = framework.value
    sizes = rng.choice(
        np.arange(1, 9), size=n, p=[0.82, 0.11, 0.04, 0.015, 0.008, 0.004, 0.002, 0.001]
    )
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    sizes[-1] -= sizes.sum() - n
    entities = len(sizes)

    codes = list(_COUNTRIES)
    country = _pick(rng, codes, entities, p=[_COUNTRIES[c][0] for c in codes])
    name, brand = _base_names(rng, entities)

    # Hard negatives: namesakes (same name, another company) and siblings (same brand).
    namesake = np.flatnonzero(rng.random(entities) < 0.03)
    original = rng.integers(0, entities, size=len(namesake))
    name[namesake] = name[original]
    moved = rng.random(len(namesake)) < 0.7
    country[namesake[~moved]] = country[original[~moved]]
    sibling = np.flatnonzero(rng.random(entities) < 0.03)
    name[sibling] = (
        brand[rng.integers(0, entities, size=len(sibling))]
        + " "
        + _pick(rng, _SECTOR_WORDS, len(sibling))
    )
    accented = (rng.random(entities) < 0.25) & np.isin(country, ["FR", "DE", "ES", "SE", "AT"])
    name[accented] = [_accent(v, rng) for v in name[accented]]
    the = rng.random(entities) < 0.03
    name[the] = "The " + name[the]

    city = np.array([_COUNTRIES[c][2][rng.integers(len(_COUNTRIES[c][2]))] for c in country])
    suffix_family = np.array(
        [
            None
            if rng.random() < 0.3
            else _SUFFIX_FAMILIES.get(c, [[""]])[rng.integers(len(_SUFFIX_FAMILIES.get(c, [[""]])))]
            for c in country
        ],
        dtype=object,
    )

    slug = [_strip_accents(v).lower().removeprefix("the ") for v in name]
    slug = ["".join(ch for ch in s if ch.isalnum()) or "company" for s in slug]
    tld = [_COUNTRIES[c][3][rng.integers(len(_COUNTRIES[c][3]))] for c in country]
    domain = np.array([s + t for s, t in zip(slug, tld, strict=True)], dtype=object)
    seen: dict[str, int] = {}
    for i, d in enumerate(domain):
        if d in seen:
            stem, _, rest = d.partition(".")
            domain[i] = f"{stem}-{country[i].lower()}{seen[d]}.{rest}"
        seen[d] = seen.get(d, 0) + 1
    has_website = rng.random(entities) < 0.88

    phone_plan = {c: _phone_prefixes(c, rng) for c in codes}
    trunk = {
        c: phonenumbers.PhoneMetadata.metadata_for_region(c).national_prefix or "" for c in codes
    }
    national = []
    for c in country:
        code, prefixes = phone_plan[c]
        head, tail = prefixes[rng.integers(len(prefixes))].split("|")
        national.append(head + "".join(map(str, rng.integers(0, 10, size=int(tail)))))
    national = np.array(national, dtype=object)
    has_phone = rng.random(entities) < 0.8

    industry_names = list(_INDUSTRIES)
    industry = _pick(rng, industry_names, entities, p=_INDUSTRY_WEIGHTS)
    employees = np.maximum(1, rng.lognormal(4.3, 1.6, entities)).astype(int)
    arr = np.round(rng.lognormal(9.9, 1.2, entities), 2)
    created = pd.Timestamp("2019-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 6 * 365 * 86400, entities), unit="s"
    )

    # --- records -----------------------------------------------------------------------
    entity = np.repeat(np.arange(entities), sizes)
    first = np.r_[True, entity[1:] != entity[:-1]]
    dup = ~first
    records = len(entity)
    r = rng.random((records, 16))

    def field_missing(column: int, original_share: float, duplicate_share: float) -> np.ndarray:
        return r[:, column] < np.where(dup, duplicate_share, original_share)

    names = []
    for k in range(records):
        e = entity[k]
        base = name[e]
        family = suffix_family[e]
        if dup[k]:
            if rng.random() < 0.25:
                base = _typo(base, rng)
            if rng.random() < 0.05:
                for long, short in _ABBREVIATIONS.items():
                    base = base.replace(long, short)
            if rng.random() < 0.5:
                base = _strip_accents(base)
            if rng.random() < 0.3:
                base = base.replace(" & ", " and ")
            if rng.random() < 0.05:
                base = base.removeprefix("The ") if base.startswith("The ") else "The " + base
            roll = rng.random()
            if family is None:
                suffix = "" if roll < 0.85 else _SUFFIX_FAMILIES.get(country[e], [["Inc"]])[0][0]
            elif roll < 0.6:
                suffix = family[0]
            elif roll < 0.85:
                suffix = family[rng.integers(len(family))]
            else:
                suffix = ""
        else:
            suffix = "" if family is None else family[0]
        text = base if not suffix else base + (", " if rng.random() < 0.1 else " ") + suffix
        case = rng.random()
        if dup[k] and case < 0.15:
            text = text.upper()
        elif dup[k] and case < 0.22:
            text = text.lower()
        if rng.random() < 0.03:
            text = "  " + text.replace(" ", "  ", 1) + " "
        names.append(text)

    web_style = rng.integers(0, 9, records)
    websites = []
    other_domain = rng.random(records) < np.where(dup, 0.015, 0.0)
    for k in range(records):
        e = entity[k]
        d = domain[e]
        if other_domain[k]:
            stem, _, _ = d.partition(".")
            d = stem + (".net" if not d.endswith(".net") else ".org")
        style = web_style[k]
        websites.append(
            [
                f"https://www.{d}",
                f"http://{d}/",
                f"www.{d}",
                d,
                f"WWW.{d.upper()}",
                f"https://{d}/about-us",
                f"info@{d}",
                f"sales@{d}",
                f"https://www.{d}/contact?x=1",
            ][style]
        )
    websites = np.array(websites, dtype=object)
    websites[~has_website[entity] | field_missing(0, 0.04, 0.3)] = ""

    phone_style = rng.choice(7, records, p=[0.3, 0.4, 0.1, 0.06, 0.05, 0.04, 0.05])
    second_phone = rng.random(records) < np.where(dup, 0.05, 0.0)
    phones = []
    for k in range(records):
        e = entity[k]
        c = country[e]
        number = national[e]
        if second_phone[k]:
            number = number[:-4] + "".join(map(str, rng.integers(0, 10, size=4)))
        phones.append(_format_phone(phone_plan[c][0], number, int(phone_style[k]), trunk[c]))
    phones = np.array(phones, dtype=object)
    junk_phone = r[:, 1] < 0.01
    phones[junk_phone] = _pick(
        rng, ["ask reception", "tbd", "12345", "n/a", "000"], int(junk_phone.sum())
    )
    phones[~has_phone[entity] | field_missing(2, 0.05, 0.35)] = ""

    spelling = [_COUNTRIES[country[e]][1] for e in entity]
    countries = np.array([s[rng.integers(len(s))] for s in spelling], dtype=object)
    countries[field_missing(3, 0.04, 0.1)] = ""

    other_city = rng.random(records) < np.where(dup, 0.03, 0.0)
    cities = city[entity].astype(object)
    for k in np.flatnonzero(other_city):
        options = _COUNTRIES[country[entity[k]]][2]
        cities[k] = options[rng.integers(len(options))]
    case = rng.random(records)
    cities = np.where(case < 0.1, [c.upper() for c in cities], cities)
    cities[field_missing(4, 0.03, 0.2)] = ""

    industry_text = np.array(
        [
            _INDUSTRIES[industry[e]][0]
            if rng.random() < 0.45
            else _INDUSTRIES[industry[e]][rng.integers(len(_INDUSTRIES[industry[e]]))]
            for e in entity
        ],
        dtype=object,
    )
    junk = r[:, 5] < 0.02
    industry_text[junk] = _pick(rng, _JUNK_INDUSTRIES, int(junk.sum()))
    industry_text[field_missing(6, 0.15, 0.3)] = ""

    count = employees[entity]
    emp_style = rng.choice(8, records, p=[0.55, 0.12, 0.08, 0.04, 0.04, 0.04, 0.02, 0.11])
    buckets = [
        (1, 10),
        (11, 50),
        (51, 200),
        (201, 500),
        (501, 1000),
        (1001, 5000),
        (5001, 10000),
        (10001, 50000),
    ]
    employee_text = []
    for v, style in zip(count, emp_style, strict=True):
        if style == 0:
            employee_text.append(str(v))
        elif style == 1:
            employee_text.append(f"{v:,}")
        elif style == 2:
            low, high = next(((a, b) for a, b in buckets if a <= v <= b), (50001, 100000))
            employee_text.append(f"{low}-{high}")
        elif style == 3:
            employee_text.append(f"{max(1, v // 100 * 100)}+")
        elif style == 4:
            employee_text.append(f"{v / 1000:.1f}k" if v >= 1000 else f"approx {v}")
        elif style == 5:
            employee_text.append("n/a")
        elif style == 6:
            employee_text.append(str(-v))
        else:
            employee_text.append("")
    employee_text = np.array(employee_text, dtype=object)
    employee_text[field_missing(7, 0.05, 0.4)] = ""

    amount = arr[entity]
    arr_style = rng.choice(6, records, p=[0.6, 0.12, 0.06, 0.04, 0.03, 0.15])
    arr_text = np.array(
        [
            f"{a:.2f}"
            if s == 0
            else f"${a:,.0f}"
            if s == 1
            else f"{a / 1000:.0f}k"
            if s == 2
            else f"USD {a:.2f}"
            if s == 3
            else "n/a"
            if s == 4
            else ""
            for a, s in zip(amount, arr_style, strict=True)
        ],
        dtype=object,
    )
    arr_text[field_missing(8, 0.03, 0.5)] = ""

    revenue = np.where(
        r[:, 9] < 0.4, np.char.mod("%.0f", amount * rng.uniform(8, 40, records)), ""
    ).astype(object)
    created_at = created[entity] + pd.to_timedelta(
        np.where(dup, rng.integers(0, 400 * 86400, records), 0), unit="s"
    )
    modified = created_at + pd.to_timedelta(rng.integers(0, 300 * 86400, records), unit="s")
    end = created_at + pd.to_timedelta(rng.integers(300, 1100, records), unit="D")

    ids = np.array([f"001{v:012X}" for v in rng.permutation(records) + 0x100000], dtype=object)
    accounts = pd.DataFrame(
        {
            "Id": ids,
            "Name": names,
            "Website": websites,
            "Industry": industry_text,
            "NumberOfEmployees": employee_text,
            "AnnualRevenue": revenue,
            "BillingCountry": countries,
            "BillingCity": cities,
            "Phone": phones,
            "OwnerId": np.char.add(
                "005U0000", np.char.zfill(rng.integers(0, 400, records).astype(str), 7)
            ).astype(object),
            "OwnerName": "",  # the extract reads owner names from User / owners.csv
            "CreatedDate": created_at.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "SystemModstamp": modified.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "ARR__c": arr_text,
            "Contract_Term__c": _picklist(rng, value.contract_length.values, records),
            "Contract_End_Date__c": end.strftime("%Y-%m-%d"),
            "Expansion_Pipeline__c": np.char.mod("%.2f", amount * rng.uniform(-0.2, 1.5, records)),
            "Strategic_Importance__c": _picklist(rng, value.strategic_importance.values, records),
            "Growth_Stage__c": _picklist(rng, framework.firmographic.growth_stage.values, records),
            "Segment_Override__c": np.where(rng.random(records) < 0.02, "true", "false"),
            "Customer_Tier__c": _picklist(rng, [t.name for t in framework.tiers], records),
        }
    )
    order = rng.permutation(records)
    accounts = accounts.iloc[order].reset_index(drop=True)
    truth = pd.DataFrame({"Id": accounts["Id"], "entity_id": entity[order]})
    return MessyAccounts(accounts.reindex(columns=list(RAW_ACCOUNT_COLUMNS)), truth)

"""A hand-built three-month history of twelve accounts (plus one new in February), the
shared fixture of the report tests. ARR is in $K to keep the hand arithmetic short.

January: Tier 1 = A1..A4, Tier 2 = B1..B4, Tier 3 = C1..C4.
February: A1 expands 200 -> 220, A2 contracts 150 -> 120, A3 disappears, A4's contract
ends on 2026-02-15, B1 is upgraded to Tier 1 at 110, B3's ARR is missing (data gap),
B4 disappears, C1 is flagged churned, C2 expands 6 -> 9, C3 is folded into N1 (a
duplicate new in February), C4 still has no ARR, N1 is new in Tier 2 at 60.
March: A2 is downgraded to Tier 2 at 90, A4 is back with its stale February end date,
B1's contract ends on 2026-03-31, B2 disappears, B3 reports 25 again, C4 disappears,
N1 expands to 66.
"""

from __future__ import annotations

import pandas as pd

JAN, FEB, MAR = "2026-01-01", "2026-02-01", "2026-03-01"
LABELS = {"Tier 1": "Enterprise", "Tier 2": "Mid-Market", "Tier 3": "SMB"}
MODELS = {"Tier 1": "High-Touch", "Tier 2": "Low-Touch", "Tier 3": "Tech-Touch"}
NAN = float("nan")

# account_id, segment, arr, industry, region, owner_id
_JAN = [
    ("A1", "Tier 1", 200, "Manufacturing", "NA", "csm-1"),
    ("A2", "Tier 1", 150, "Manufacturing", "EMEA", "csm-1"),
    ("A3", "Tier 1", 100, "Software", "NA", "csm-2"),
    ("A4", "Tier 1", 50, "Software", "NA", "csm-2"),
    ("B1", "Tier 2", 40, "Manufacturing", "NA", "csm-1"),
    ("B2", "Tier 2", 30, "Manufacturing", "EMEA", "csm-1"),
    ("B3", "Tier 2", 20, "Software", "NA", "csm-2"),
    ("B4", "Tier 2", 10, "Software", "EMEA", "csm-2"),
    ("C1", "Tier 3", 8, "Manufacturing", "NA", "csm-1"),
    ("C2", "Tier 3", 6, "Software", "NA", "csm-2"),
    ("C3", "Tier 3", 4, "Software", "EMEA", "csm-2"),
    ("C4", "Tier 3", NAN, "Software", "EMEA", None),
]
_FEB = [
    ("A1", "Tier 1", 220, "Manufacturing", "NA", "csm-1"),
    ("A2", "Tier 1", 120, "Manufacturing", "EMEA", "csm-1"),
    ("A4", "Tier 1", 50, "Software", "NA", "csm-2"),
    ("B1", "Tier 1", 110, "Manufacturing", "NA", "csm-1"),
    ("B2", "Tier 2", 30, "Manufacturing", "EMEA", "csm-1"),
    ("B3", "Tier 2", NAN, "Software", "NA", "csm-2"),
    ("C1", "Tier 3", 8, "Manufacturing", "NA", "csm-1"),
    ("C2", "Tier 3", 9, "Software", "NA", "csm-2"),
    ("C4", "Tier 3", NAN, "Software", "EMEA", None),
    ("N1", "Tier 2", 60, "Software", "NA", "csm-2"),
]
_MAR = [
    ("A1", "Tier 1", 220, "Manufacturing", "NA", "csm-1"),
    ("A2", "Tier 2", 90, "Manufacturing", "EMEA", "csm-1"),
    ("A4", "Tier 1", 50, "Software", "NA", "csm-2"),
    ("B1", "Tier 1", 110, "Manufacturing", "NA", "csm-1"),
    ("B3", "Tier 2", 25, "Software", "NA", "csm-2"),
    ("C2", "Tier 3", 9, "Software", "NA", "csm-2"),
    ("N1", "Tier 2", 66, "Software", "NA", "csm-2"),
]
CONTRACT_ENDS = {
    JAN: {"A4": "2025-06-30", "B1": "2027-01-31"},
    FEB: {"A4": "2026-02-15", "B1": "2026-03-31"},
    MAR: {"A4": "2026-02-15", "B1": "2026-03-31"},
}
CHURN_FLAGS = {FEB: {"C1"}}
MERGED = {FEB: {"C3": "N1"}}  # folded account -> its survivor


def snapshot(month: str) -> pd.DataFrame:
    rows = {JAN: _JAN, FEB: _FEB, MAR: _MAR}[month]
    frame = pd.DataFrame(
        rows, columns=["account_id", "segment", "arr", "industry", "region", "owner_id"]
    )
    frame["arr"] = frame["arr"].astype("float64")
    frame["name"] = "Account " + frame["account_id"]
    frame["tier_label"] = frame["segment"].map(LABELS)
    frame["service_model_label"] = frame["segment"].map(MODELS)
    frame["country_code"] = frame["region"].map({"NA": "US", "EMEA": "DE"})
    frame["company_size_band"] = "Mid-Market"
    frame["arr_tier"] = "Mid-Market"
    frame["composite_score"] = frame["segment"].map({"Tier 1": 4.2, "Tier 2": 3.1, "Tier 3": 2.0})
    frame["behavioral_score"] = 3.0
    frame["status"] = "segmented"
    frame["provisional"] = False
    frame["at_risk"] = False
    frame["explanation"] = frame["segment"] + ": composite " + frame["composite_score"].astype(str)
    frame["churned"] = frame["account_id"].isin(CHURN_FLAGS.get(month, set()))
    return frame


def contracts(month: str) -> pd.DataFrame:
    ends = CONTRACT_ENDS[month]
    return pd.DataFrame({"account_id": list(ends), "contract_end_date": list(ends.values())})


def report_tables(breakdowns=("industry",)) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The stored report tables of the three months, as the report assets write them."""
    from segmentation_pipeline.core.reports import (
        arr_by_segment,
        customer_activity,
        customers_by_segment,
        segment_retention,
    )

    months = [JAN, FEB, MAR]
    customers = pd.concat(
        [customers_by_segment(snapshot(m), breakdowns).assign(snapshot_month=m) for m in months]
    )
    arr = pd.concat(
        [arr_by_segment(snapshot(m), breakdowns).assign(snapshot_month=m) for m in months]
    )
    activity = {m: customer_activity(snapshot(m), m, contracts(m)) for m in months}
    retention = pd.concat(
        [
            segment_retention(activity[prev], activity[m], breakdowns, MERGED.get(m)).assign(
                snapshot_month=m
            )
            for prev, m in zip(months, months[1:], strict=False)
        ]
    )
    return customers, arr, retention

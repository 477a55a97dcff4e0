"""A framework change, a backfill of three stored months, and the impact report.

Every account below scores the same level (1-5) on every criterion of every rubric, so
its composite score *is* that level. The bundled framework cuts tiers at 4.0 and 2.5;
the test's next version at 4.5 and 1.5. So level 4 moves Tier 1 -> Tier 2,
level 2 moves Tier 3 -> Tier 2, and levels 5, 3 and 1 stay where they are.
"""

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from framework_releases import (
    BUNDLED_VERSION,
    NEXT_VERSION,
    RELEASED_BUNDLED_FRAMEWORKS,
    bundled_framework_as,
)

from segmentation_pipeline.defs.backfill import rescore, stale_partitions
from segmentation_pipeline.framework.loader import DEFAULT_FRAMEWORK_PATH, settings_digest

# Inputs that earn exactly `level` points on each criterion of the default framework.
EMPLOYEES = {5: 1500, 4: 700, 3: 200, 2: 70, 1: 20}
INDUSTRY = {5: "Software", 4: "Healthcare", 3: "Manufacturing", 2: "Retail", 1: "Government"}
COUNTRY = {5: "US", 4: "GB", 3: "ES", 2: "SG", 1: ""}  # ES: EMEA supported; SG: APAC limited
GROWTH = {5: "Growth", 4: "Established", 3: "Mature", 2: "Early-stage", 1: "Pre-revenue"}
ARR = {5: 150000, 4: 70000, 3: 30000, 2: 15000, 1: 5000}
EXPANSION_RATIO = {5: 2.5, 4: 1.7, 3: 1.3, 2: 1.1, 1: 0.9}
CONTRACT = {
    5: "Multi-year",
    4: "Annual (renewing)",
    3: "Annual (new)",
    2: "Month-to-month",
    1: "Past due",
}
STRATEGIC = {
    5: "Named logo",
    4: "Industry influencer",
    3: "Standard",
    2: "Commodity",
    1: "Misaligned",
}
ACTIVE_OF_100 = {5: 90, 4: 70, 3: 50, 2: 30, 1: 10}
FEATURES_OF_20 = {5: 16, 4: 12, 3: 8, 2: 4, 1: 2}
TICKETS = {5: 0, 4: 1, 3: 2, 2: 4, 1: 8}
NPS = {5: 60, 4: 40, 3: 10, 2: -10, 1: -50}
ONBOARDING = {5: 0.95, 4: 0.8, 3: 0.6, 2: 0.4, 1: 0.1}


def write_crm(folder: Path, levels: dict[str, int]) -> None:
    accounts, usage = [], []
    for account_id, level in levels.items():
        arr = ARR[level]
        accounts.append(
            {
                "Id": account_id,
                "Name": f"Account {account_id}",
                "Website": f"https://{account_id.lower()}.example.com",
                "Industry": INDUSTRY[level],
                "NumberOfEmployees": EMPLOYEES[level],
                "AnnualRevenue": "",
                "BillingCountry": COUNTRY[level],
                "BillingCity": "",
                "Phone": "",
                "OwnerId": "005U00000000001",
                "CreatedDate": "2020-01-01T00:00:00.000+0000",
                "SystemModstamp": "2024-12-01T00:00:00.000+0000",
                "ARR__c": arr,
                "Contract_Term__c": CONTRACT[level],
                "Contract_End_Date__c": "2026-12-31",
                "Expansion_Pipeline__c": round(arr * (EXPANSION_RATIO[level] - 1), 2),
                "Strategic_Importance__c": STRATEGIC[level],
                "Growth_Stage__c": GROWTH[level],
                "Segment_Override__c": "false",
                "Customer_Tier__c": "",
            }
        )
        usage.append(
            {
                "AccountId": account_id,
                "Logins30d": 100,
                "ActiveUsers": ACTIVE_OF_100[level],
                "LicensedUsers": 100,
                "FeaturesAdopted": FEATURES_OF_20[level],
                "FeaturesAvailable": 20,
                "OpenTickets": TICKETS[level],
                "NPS": NPS[level],
                "OnboardingCompletion": ONBOARDING[level],
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(accounts).to_csv(folder / "accounts.csv", index=False)
    pd.DataFrame(usage).to_csv(folder / "product_usage.csv", index=False)
    pd.DataFrame(
        columns=["domain", "industry", "employees", "annual_revenue", "country_code"]
    ).to_csv(folder / "firmographics.csv", index=False)


# Month by month: A2 upgrades to level 5 in March; A4 leaves in March; B4, C2, D2 join in February.
MONTHS = {
    "2025-01-01": {"A1": 5, "A2": 4, "A3": 3, "A4": 2, "A5": 1},
    "2025-02-01": {"A1": 5, "A2": 4, "A3": 3, "A4": 2, "A5": 1, "B4": 4, "C2": 2, "D2": 2},
    "2025-03-01": {"A1": 5, "A2": 5, "A3": 3, "A5": 1, "B4": 4, "C2": 2, "D2": 2},
}
# Worked by hand from the levels and the two versions' cut-offs.
EXPECTED_MOVES = {
    "2025-01-01": {("Tier 1", "Tier 2"): 1, ("Tier 3", "Tier 2"): 1},  # A2; A4
    "2025-02-01": {("Tier 1", "Tier 2"): 2, ("Tier 3", "Tier 2"): 3},  # A2, B4; A4, C2, D2
    "2025-03-01": {("Tier 1", "Tier 2"): 1, ("Tier 3", "Tier 2"): 2},  # B4; C2, D2
}
# March, old vs new: Tier 1 {A1, A2, B4} -> {A1, A2}; Tier 2 {A3} -> {A3, B4, C2, D2};
# Tier 3 {A5, C2, D2} -> {A5}.
EXPECTED_MARCH = {"Tier 1": (3, 2, 0, 1), "Tier 2": (1, 4, 3, 0), "Tier 3": (3, 1, 0, 2)}


def test_framework_change_backfill_rescores_stored_months_and_reports_the_moves(
    governance, tmp_path, monkeypatch
):
    for month, levels in MONTHS.items():
        write_crm(governance.crm_folder, levels)
        assert governance.run(month).success, month
    engine = sa.create_engine(governance.warehouse_url)
    before = pd.read_sql(
        "select snapshot_month, account_id, segment from segment_snapshots", engine
    )
    assert before[before["account_id"] == "A2"]["segment"].tolist() == ["Tier 1"] * 3

    v2 = tmp_path / "framework_v2.yaml"
    v2.write_text(
        bundled_framework_as(NEXT_VERSION)
        .replace(
            "min_score: 4.0, service_model: high_touch", "min_score: 4.5, service_model: high_touch"
        )
        .replace(
            "min_score: 2.5, service_model: low_touch", "min_score: 1.5, service_model: low_touch"
        )
        # Moves apply at once: this test is about re-scoring and reporting the moves. Under
        # `review`, every crossing against the last published tier waits in the queue
        # (tests/core/test_transitions.py), and the snapshots would hold the old tiers.
        .replace("upgrade: {policy: review", "upgrade: {policy: immediate")
        .replace("downgrade: {policy: review", "downgrade: {policy: immediate")
    )
    governance.framework_path = str(v2)
    # The code location reloaded with the adopted file (what `framework adopt` leads to):
    # the resource applies only a framework of the version the code location loaded.
    from segmentation_pipeline.defs import partitions

    monkeypatch.setattr(partitions, "FRAMEWORK_PATH", v2)
    monkeypatch.setattr(partitions, "FRAMEWORK_VERSION", NEXT_VERSION)
    stale = stale_partitions(governance.instance, NEXT_VERSION)
    assert stale == {month: BUNDLED_VERSION for month in MONTHS}

    # The backfill must not touch the CRM: point it at a folder that does not exist.
    governance.crm_folder = tmp_path / "no-crm-here"
    results = rescore(governance.definitions(), governance.instance, stale)
    assert all(r.success for r in results)
    for result in results:
        built = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert "crm_accounts" not in built and "accounts_enriched" not in built
        assert {"account_scores", "segment_assignments", "framework_change_impact"} <= built
        impact = result.asset_materializations_for_node("framework_change_impact")[0]
        assert impact.metadata["pending_review"].value == 0  # immediate: nothing held

    moves = pd.read_sql("select * from framework_change_moves", engine)
    for month, expected in EXPECTED_MOVES.items():
        rows = moves[moves["snapshot_month"] == month]
        assert {(r.before, r.after): r.accounts for r in rows.itertuples()} == expected
        assert set(rows["old_version"]) == {BUNDLED_VERSION}
        assert set(rows["new_version"]) == {NEXT_VERSION}

    impact = pd.read_sql("select * from framework_change_impact", engine)
    march = impact[impact["snapshot_month"] == "2025-03-01"].set_index("segment")
    assert {
        s: (r.before, r.after, r.moved_in, r.moved_out) for s, r in march.iterrows()
    } == EXPECTED_MARCH
    assert stale_partitions(governance.instance, NEXT_VERSION) == {}
    after = pd.read_sql(
        "select account_id, segment, framework_version from segment_snapshots", engine
    )
    assert set(after["framework_version"]) == {NEXT_VERSION}


# The methodology's own strategic-importance labels, on accounts otherwise at one level.
# Account -> (level, label, the label's points from 2026.2 on; before, the unknown 3).
LABELLED = {
    "N4": (4, "Named logo / reference customer", 5),
    "S3": (3, "Standard customer", 3),
    "C2": (2, "Commodity fit", 2),
}


# The other picklist values 2026.2 added (the methodology's growth stage and contract
# length labels, and the "At risk" half of its "At risk / Past due").
ALSO_ADDED_IN_2026_2 = (
    "      Growth / Scale-up: 5\n",
    "      Unknown / Pre-revenue: 1\n",
    "      At risk: 1\n",
    "      At risk / Past due: 1  # the methodology's spelling\n",
)


def released_2026_1() -> str:
    """The bundled framework as release 2026.1 shipped it: 2026.2 without the values it
    added (checked against the settings digest that release's deployments recorded)."""
    text = bundled_framework_as("2026.1")
    labels = [f"      {label}: {points}\n" for _, label, points in LABELLED.values()]
    for line in [*labels, *ALSO_ADDED_IN_2026_2]:
        assert text.count(line) == 1, line
        text = text.replace(line, "")
    return text


def unknown_picklist_values(result) -> dict:
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "accounts_standardized"
    ]
    return event.materialization.metadata["picklist_values_not_in_framework"].value


def test_a_deployment_on_the_bundled_2026_1_upgrades_to_2026_2_by_night_and_backfill(
    governance, tmp_path, monkeypatch
):
    """The release that adds the methodology's labels is a new bundled version: the first
    night on it runs (under the old version it would stop, "applied before with other
    settings"), the month scored under 2026.1 is stale, and the backfill re-scores it with
    the labels' points and reports the change against 2026.1."""
    from segmentation_pipeline.defs import partitions

    old = tmp_path / "framework_2026_1.yaml"
    old.write_text(released_2026_1())
    assert settings_digest(old) == RELEASED_BUNDLED_FRAMEWORKS["2026.1"]
    levels = {account: level for account, (level, _, _) in LABELLED.items()}
    write_crm(governance.crm_folder, levels)
    accounts = pd.read_csv(governance.crm_folder / "accounts.csv", dtype=str)
    accounts["Strategic_Importance__c"] = [LABELLED[account][1] for account in accounts["Id"]]
    accounts.to_csv(governance.crm_folder / "accounts.csv", index=False)

    # Before the upgrade the code location ran the 2026.1 file as its own.
    monkeypatch.setattr(partitions, "FRAMEWORK_PATH", old)
    monkeypatch.setattr(partitions, "FRAMEWORK_VERSION", "2026.1")
    january = governance.run("2025-01-01")
    assert january.success
    assert unknown_picklist_values(january) == {
        "Strategic_Importance__c": {label: 1 for _, label, _ in LABELLED.values()}
    }

    # The upgrade: the code location loads the new bundled file.
    monkeypatch.setattr(partitions, "FRAMEWORK_PATH", DEFAULT_FRAMEWORK_PATH)
    monkeypatch.setattr(partitions, "FRAMEWORK_VERSION", BUNDLED_VERSION)
    february = governance.run("2025-02-01")
    assert february.success
    assert unknown_picklist_values(february) == {}
    assert stale_partitions(governance.instance, BUNDLED_VERSION) == {"2025-01-01": "2026.1"}

    (result,) = rescore(governance.definitions(), governance.instance, ["2025-01-01"])
    assert result.success
    scores = result.output_for_node("account_scores").set_index("account_id")
    assert scores["val_strategic_points"].to_dict() == {a: p for a, (_, _, p) in LABELLED.items()}
    (impact,) = result.asset_materializations_for_node("framework_change_impact")
    assert impact.metadata["compared_with"].value == "2026.1"
    assert impact.metadata["framework_version"].value == BUNDLED_VERSION
    # N4: value (4 + 4 + 4 + 5) / 4 = 4.25, composite 4 x 0.65 + 4.25 x 0.35 = 4.09, Tier 1
    # (3.91 with the unknown 3 points: Tier 2); the bundled file reviews the upgrade.
    assert impact.metadata["pending_review"].value == 1
    assert stale_partitions(governance.instance, BUNDLED_VERSION) == {}

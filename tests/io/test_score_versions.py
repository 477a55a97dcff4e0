"""segment_versions: one slice per (month, framework version), re-recorded by syncing."""

import pandas as pd
import pytest
import sqlalchemy as sa

from segmentation_pipeline.io import score_versions
from segmentation_pipeline.io.score_versions import ScoreVersionStore
from segmentation_pipeline.io.warehouse import Warehouse

NOV = "2026-11-01"


@pytest.fixture
def store(warehouse_url):
    client = Warehouse(warehouse_url)
    yield ScoreVersionStore(client.engine)
    client.dispose()


def tiers(*segments: str, score: float = 3.0) -> pd.DataFrame:
    ids = [f"a{i}" for i in range(len(segments))]
    return pd.DataFrame(
        {"account_id": ids, "name": ids, "segment": list(segments), "composite_score": score}
    )


def stored(store: ScoreVersionStore) -> pd.DataFrame:
    with store.engine.connect() as conn:
        frame = pd.read_sql(sa.text("SELECT * FROM segment_versions"), conn)
    return frame.sort_values(["framework_version", "account_id"]).reset_index(drop=True)


def test_a_night_rewrites_only_the_accounts_that_moved(store):
    assert store.record(NOV, "v1", tiers(*["Tier 2"] * 10)) == 10
    first = stored(store)
    night = tiers(*["Tier 2"] * 9, "Tier 1")
    assert store.record(NOV, "v1", night) == 1
    rows = stored(store)
    assert rows["segment"].tolist() == ["Tier 2"] * 9 + ["Tier 1"]
    # unchanged rows were not rewritten: they keep the moment they were first recorded at
    assert rows["recorded_at"].iloc[:9].tolist() == first["recorded_at"].iloc[:9].tolist()
    assert rows["recorded_at"].iloc[9] > first["recorded_at"].iloc[9]


def test_the_previous_version_is_the_one_recorded_last_even_when_nothing_moved(store):
    store.record(NOV, "v1", tiers("Tier 1", "Tier 2"))
    store.record(NOV, "v2", tiers("Tier 3", "Tier 3"))
    store.record(NOV, "v1", tiers("Tier 1", "Tier 2"))  # a roll-back: no row changes
    version, frame = store.previous_version(NOV, "v3")
    assert version == "v1"
    assert frame.sort_values("account_id")["segment"].tolist() == ["Tier 1", "Tier 2"]
    assert store.previous_version(NOV, "v1")[0] == "v2"
    assert store.previous_version("2026-12-01", "v1") is None


def test_slices_written_by_an_earlier_release_are_replaced_not_doubled(store):
    """The earlier release wrote whole slices with pandas and no slice name."""
    old = tiers("Tier 1", "Tier 2").assign(
        snapshot_month=NOV, framework_version="v1", recorded_at="2026-11-02T00:00:00+00:00"
    )
    with store.engine.begin() as conn:
        old.to_sql("segment_versions", conn, index=False)
        old.assign(framework_version="v0").to_sql(
            "segment_versions", conn, index=False, if_exists="append"
        )
    store.record(NOV, "v1", tiers("Tier 1", "Tier 3"))
    rows = stored(store)
    v1 = rows[rows["framework_version"] == "v1"]
    assert v1["segment"].tolist() == ["Tier 1", "Tier 3"]
    assert set(v1[score_versions.SLICE_COLUMN]) == {f"{NOV}|v1"}
    assert store.previous_version(NOV, "v1")[0] == "v0"  # by its rows' moment

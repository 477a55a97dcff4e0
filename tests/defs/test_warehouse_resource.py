"""The warehouse URL of the environment may hold a password: it reaches the run that
connects, and nothing Dagster stores or the command line prints."""

import dagster as dg
from dagster._serdes import serialize_value

from segmentation_pipeline.defs.resources import WarehouseResource, shown_url, warehouse_resource

SECRET = "SuperSecret123"
URL = f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:5432/test"


def test_a_password_in_the_warehouse_url_stays_out_of_dagsters_run_storage(monkeypatch):
    monkeypatch.setenv("SEGMENTATION_WAREHOUSE_URL", URL)
    seen = []

    @dg.asset
    def connects(warehouse: WarehouseResource) -> None:
        seen.append(warehouse.url)

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [connects], resources={"warehouse": warehouse_resource()}, instance=instance
        )
        assert result.success and seen == [URL]  # the run itself has the real URL
        run = instance.get_run_by_id(result.run_id)
        stored = [
            serialize_value(instance.get_job_snapshot(run.job_snapshot_id)),
            serialize_value(run),
            *(serialize_value(event) for event in instance.all_logs(result.run_id)),
        ]
    assert not [text for text in stored if SECRET in text]


def test_the_warehouse_url_is_printed_with_its_password_masked():
    assert SECRET not in shown_url(URL)
    assert shown_url(URL) == "postgresql+psycopg://postgres:***@127.0.0.1:5432/test"

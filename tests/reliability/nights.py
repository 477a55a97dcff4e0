"""One night of the nightly job as the reliability tests read it.

A module of its own, not conftest: a test that imports from `conftest` gets whichever
conftest pytest imported last, and the suite's root conftest has the same module name.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dagster as dg

from segmentation_pipeline.io.warehouse import Warehouse


@dataclass
class Night:
    result: dg.ExecuteInProcessResult
    warehouse_url: str
    instance: dg.DagsterInstance | None = None

    @property
    def success(self) -> bool:
        return self.result.success

    def value(self, asset: str):
        return self.result.asset_value(asset)

    def metadata(self, asset: str) -> dict:
        events = self.result.get_asset_materialization_events()
        for event in events:
            if event.asset_key.to_user_string() == asset:
                return {k: v.value for k, v in event.materialization.metadata.items()}
        raise KeyError(asset)

    def failure_messages(self) -> list[str]:
        """The one-line error of every failed step."""
        return [
            event.step_failure_data.error.message.strip()
            for event in self.result.all_events
            if event.is_step_failure and event.step_failure_data.error is not None
        ]

    def warnings(self, step: str) -> list[str]:
        """The warnings `step`'s own code logged, as an operator reads them."""
        return [
            entry.user_message
            for entry in self.instance.all_logs(self.result.run_id)
            if entry.level == logging.WARNING
            and entry.dagster_event is None
            and entry.step_key == step
        ]

    def warehouse(self) -> Warehouse:
        return Warehouse(self.warehouse_url)

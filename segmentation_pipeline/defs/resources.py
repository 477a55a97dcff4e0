"""Resources: every connection and every file location the assets use."""

import os
from datetime import datetime
from importlib import resources
from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from segmentation_pipeline.core.crm_sync import WriteBackEcho
from segmentation_pipeline.core.input_contract import USAGE_INPUT
from segmentation_pipeline.framework import Framework, load_framework
from segmentation_pipeline.framework.loader import FrameworkError
from segmentation_pipeline.io.crm import AccountExtract, CrmState, FileCrm
from segmentation_pipeline.io.segment_reviews import read_review_file, review_entries
from segmentation_pipeline.io.state_store import StateStore
from segmentation_pipeline.io.warehouse import Warehouse

SAMPLE_CRM_FOLDER = str(Path(str(resources.files("segmentation_pipeline"))) / "data" / "sample_crm")
HOME = Path(os.environ.get("SEGMENTATION_HOME", ".segmentation")).resolve()
DEFAULT_WAREHOUSE_URL = f"sqlite:///{HOME / 'warehouse.sqlite'}"
WAREHOUSE_URL_ENV = "SEGMENTATION_WAREHOUSE_URL"


CRM_ENV = "SEGMENTATION_CRM"
CRM_KINDS = ("file", "salesforce")


def crm_kind() -> str:
    """SEGMENTATION_CRM: `file` (the default) or `salesforce`, in any letter case. Anything
    else is refused by name: read as the file CRM, a misspelt `salesforce` ran the night on
    the bundled sample and said nothing."""
    kind = os.environ.get(CRM_ENV, "").strip().lower() or "file"
    if kind not in CRM_KINDS:
        raise ValueError(
            f"{CRM_ENV}: {os.environ[CRM_ENV]!r} is neither {' nor '.join(map(repr, CRM_KINDS))}"
        )
    return kind


def warehouse_url() -> str:
    """The warehouse's SQLAlchemy URL: the environment's, else SQLite under the home."""
    return os.environ.get(WAREHOUSE_URL_ENV, DEFAULT_WAREHOUSE_URL)


def warehouse_resource() -> "WarehouseResource":
    """The warehouse of the environment. A URL set there (it may hold a password) stays an
    `EnvVar` reference, so Dagster's run storage and UI never hold its value."""
    if os.environ.get(WAREHOUSE_URL_ENV):
        return WarehouseResource(url=dg.EnvVar(WAREHOUSE_URL_ENV))
    return WarehouseResource(url=DEFAULT_WAREHOUSE_URL)


def shown_url(url: str) -> str:
    """A URL to print: its password masked."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class FrameworkResource(dg.ConfigurableResource):
    """The framework a run applies: the code location's file (empty path), or another
    file of the same version. The scoring assets' code_version is the version the code
    location loaded, so a file of another version (in run config, or written over the
    deployed file without a reload) fails the step in one line instead of scoring with
    one version while tagging with another. The deployed file must also keep the settings
    its version was first applied with (`crm_accounts` checks); a file named in run config
    is the operator's deliberate choice for that run and is not held to it."""

    path: str = ""

    def file(self) -> Path:
        """The file the run applies."""
        from segmentation_pipeline.defs.partitions import FRAMEWORK_PATH

        return Path(self.path) if self.path else FRAMEWORK_PATH

    def is_deployed(self) -> bool:
        """The run applies the code location's own file."""
        from segmentation_pipeline.defs.partitions import FRAMEWORK_PATH

        return self.file().resolve() == FRAMEWORK_PATH.resolve()

    def load(self) -> Framework:
        from segmentation_pipeline.defs.partitions import FRAMEWORK_PATH, FRAMEWORK_VERSION

        file = str(self.file())
        framework = load_framework(file)
        if framework.version != FRAMEWORK_VERSION:
            raise FrameworkError(
                f"{file}: framework version {framework.version}, but this code location "
                f"was loaded with {FRAMEWORK_VERSION} ({FRAMEWORK_PATH}); adopt the file "
                "(segmentation-pipeline framework adopt, docs/governance.md) and reload "
                "the code location"
            )
        return framework


class CrmResource(dg.ConfigurableResource):
    """Base of every CRM the pipeline can read (file exports, Salesforce)."""

    def source_id(self) -> str:
        """Which CRM this is, without secrets: a new source means a full extract."""
        return type(self).__name__

    def read_accounts(
        self, since: datetime | None = None, state: CrmState | None = None, day_first: bool = False
    ) -> AccountExtract:
        """`state`: where the source may keep state of its own between nights; `day_first`:
        the framework's `dates_day_first`, for a source that reads its stamps from text."""
        raise NotImplementedError

    def read_usage(self, state: CrmState | None = None) -> pd.DataFrame:
        raise NotImplementedError

    def usage_source(self) -> str:
        """Where `read_usage` reads, as an error names it."""
        return f"{self.source_id()} {USAGE_INPUT.file_name}"

    def write_back_echo(self) -> WriteBackEcho:
        """The raw columns the pipeline itself writes into this CRM (none by default)."""
        return WriteBackEcho(fields=())

    def read_review_entries(self) -> pd.DataFrame:
        """Review decisions entered in the CRM (`io.segment_reviews`; none by default)."""
        return review_entries(pd.DataFrame())


class FileCrmResource(CrmResource):
    """A folder of CSV exports (accounts.csv, product_usage.csv) in Salesforce field names."""

    folder: str = SAMPLE_CRM_FOLDER

    def source_id(self) -> str:
        return f"file:{Path(self.folder).resolve()}"

    def read_accounts(
        self, since: datetime | None = None, state: CrmState | None = None, day_first: bool = False
    ) -> AccountExtract:
        return FileCrm(self.folder).read_accounts(since, day_first)

    def read_usage(self, state: CrmState | None = None) -> pd.DataFrame:
        return FileCrm(self.folder).read_usage()

    def read_review_entries(self) -> pd.DataFrame:
        return read_review_file(self.folder)


class FirmographicsFileResource(dg.ConfigurableResource):
    """The offline firmographics provider: a CSV keyed by domain."""

    path: str = str(Path(SAMPLE_CRM_FOLDER) / "firmographics.csv")


class WarehouseResource(dg.ConfigurableResource):
    """Any SQLAlchemy URL; SQLite under SEGMENTATION_HOME by default."""

    url: str = DEFAULT_WAREHOUSE_URL

    def client(self) -> Warehouse:
        # One engine (and connection pool) per URL for the life of the process.
        if self.url not in _WAREHOUSES:
            _WAREHOUSES[self.url] = Warehouse(self.url)
        return _WAREHOUSES[self.url]


_WAREHOUSES: dict[str, Warehouse] = {}


class SnapshotStoreResource(dg.ConfigurableResource):
    """Where incremental assets keep their last full state between runs: a folder under
    SEGMENTATION_HOME by default, or shared storage (a volume, s3://...) in a deployment."""

    base_dir: str = str(HOME / "snapshots")

    def store(self) -> StateStore:
        return StateStore(self.base_dir)

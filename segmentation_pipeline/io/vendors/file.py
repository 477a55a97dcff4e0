"""The offline provider: a CSV of firmographics the operator already owns.

Columns `domain, industry, employees, annual_revenue, country_code` and, optionally,
`confidence` (0-1). Industries are the pipeline's own or mapped vendor labels (anything
else is left unknown rather than let into scoring). No network, no credentials, no
credits: it is the default first step of every waterfall and what the demo runs on.
Unreadable cells become unknown fields, rows without a usable domain are dropped and
counted; nothing raises on data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from segmentation_pipeline.core.columns import member_of
from segmentation_pipeline.core.enrich.answers import Answer, Keep, hit, miss, skipped
from segmentation_pipeline.core.enrich.budget import CreditBudget
from segmentation_pipeline.core.enrich.normalize import (
    canonical_industry,
    country_code,
    normalize_domains,
    positive_number,
)
from segmentation_pipeline.core.standardize.numbers import standardize_quantity
from segmentation_pipeline.core.standardize.text import per_distinct
from segmentation_pipeline.framework.enrichment import ProviderSettings

SAMPLE_FIRMOGRAPHICS = Path(str(resources.files("segmentation_pipeline"))) / (
    "data/sample_crm/firmographics.csv"
)
FILE_COLUMNS = ("domain", "industry", "employees", "annual_revenue", "country_code")


class FirmographicsFileError(ValueError):
    """The configured firmographics file cannot be used at all."""


def _confidence(value: object, default: float) -> float:
    number = positive_number(value)
    return number if number is not None and number <= 1 else default


def _positive_numbers(values: pd.Series) -> list[float | None]:
    """Positive numbers of a column, read as the CRM's own numbers are ('1,200', '1.200',
    '$5M', a band '51-200' or '$50M-$100M' at its midpoint, '10,001+' at its floor); what
    that leaves unread, plain numeric text ('1.5E+03') as numeric text."""
    parsed, _ = standardize_quantity(values, allow_zero=False)
    numbers = parsed.to_numpy(dtype="float64", copy=True)
    unread = np.isnan(numbers)
    numbers[unread] = pd.to_numeric(values[unread], errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    usable = np.isfinite(numbers) & (numbers > 0)
    return np.where(usable, numbers, None).tolist()


def read_firmographics(path: str | Path) -> tuple[pd.DataFrame, int]:
    """The file's rows indexed by their normalized domain (the first row of a domain
    wins), and how many rows had no usable domain. The values stay text: a night asks for
    a few domains of a file that may hold millions (`firmographic_values`)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise FirmographicsFileError(f"{path}: cannot read firmographics file ({exc})") from None
    missing = [c for c in FILE_COLUMNS if c not in frame.columns]
    if missing:
        raise FirmographicsFileError(f"{path}: missing column(s) {', '.join(missing)}")
    domains = normalize_domains(frame["domain"])
    usable = (domains.notna() & ~domains.duplicated()).to_numpy()
    rows = frame[usable].set_axis(pd.Index(domains[usable].to_numpy(dtype=object)), axis=0)
    return rows, int(domains.isna().sum())


def firmographic_values(
    rows: pd.DataFrame,
    industry_map: Mapping[str, str] | None = None,
    default_confidence: float = 1.0,
) -> dict[str, tuple[dict[str, object], float]]:
    """Domain -> (values, confidence) of rows from `read_firmographics`."""
    industries = per_distinct(rows["industry"], lambda v: canonical_industry(v, industry_map))
    employees = _positive_numbers(rows["employees"])
    revenue = _positive_numbers(rows["annual_revenue"])
    countries = per_distinct(rows["country_code"], country_code)
    if "confidence" in rows.columns:
        confidences = per_distinct(rows["confidence"], lambda v: _confidence(v, default_confidence))
    else:
        confidences = [default_confidence] * len(rows)
    return {
        domain: (
            {"industry": i, "employees": e, "annual_revenue": r, "country_code": c},
            confidence,
        )
        for domain, i, e, r, c, confidence in zip(
            rows.index.tolist(), industries, employees, revenue, countries, confidences, strict=True
        )
    }


class FileProvider:
    def __init__(
        self,
        name: str,
        settings: ProviderSettings,
        path: str | Path | None = None,
        industry_map: Mapping[str, str] | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.name = name
        self.settings = settings
        self.path = Path(settings.path or path or SAMPLE_FIRMOGRAPHICS)
        self.industry_map = industry_map or {}
        self.requests = 0
        self.dropped_rows = 0
        self._wall_clock = wall_clock
        self._rows: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"FileProvider({self.name!r}, path={str(self.path)!r})"

    def _values(self, domains: Sequence[str]) -> dict[str, tuple[dict[str, object], float]]:
        """The file's values of these domains (the file is read once per run)."""
        if self._rows is None:
            self._rows, self.dropped_rows = read_firmographics(self.path)
        asked = member_of(pd.Series(self._rows.index), pd.Series(list(domains), dtype=object))
        default = self.settings.confidence if self.settings.confidence is not None else 1.0
        return firmographic_values(
            self._rows[asked.to_numpy(dtype=bool)], self.industry_map, default
        )

    async def lookup(
        self,
        domains: Sequence[str],
        budget: CreditBudget,
        keep: Keep | None = None,
        failing: Collection[str] = (),
    ) -> list[Answer]:
        table = self._values(domains)
        now = self._wall_clock()
        unit = max(self.settings.cost_per_match, self.settings.cost_per_miss)
        out = []
        for domain in domains:
            if budget.reserve(1, unit) == 0:
                why = f"budget: {budget.limit_reached() or 'no credits left'}"
                out.append(skipped(self.name, domain, now, why))
                continue
            found = table.get(domain)
            if found is None:
                answer = miss(self.name, domain, now, self.settings.cost_per_miss)
            else:
                values, confidence = found
                answer = hit(
                    self.name, domain, values, confidence, now, self.settings.cost_per_match
                )
            budget.settle(unit, answer.credits)
            out.append(answer)
        if keep is not None:
            keep(out)
        return out

"""The `enrichment_cache` warehouse table: what each provider said about each domain.

Keyed by (normalized domain, provider). Hits are reused for `hit_days`, misses for the
shorter `miss_days`, so neither a match nor a "no match" is bought twice. Failures are
never stored: they are retried on the next run. A small ledger,
`enrichment_credit_ledger`, keeps every run's spend per provider so the monthly budget
survives restarts. Plain SQLAlchemy 2 types: SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from segmentation_pipeline.core.clock import as_utc
from segmentation_pipeline.core.enrich.answers import Answer, Outcome
from segmentation_pipeline.framework.enrichment import CacheTtl

CACHE_TABLE = "enrichment_cache"
LEDGER_TABLE = "enrichment_credit_ledger"
_FIELDS = ("industry", "employees", "annual_revenue", "country_code")
_CHUNK = 500

metadata = sa.MetaData()

cache_table = sa.Table(
    CACHE_TABLE,
    metadata,
    sa.Column("domain", sa.String(253), primary_key=True),
    sa.Column("provider", sa.String(64), primary_key=True),
    sa.Column("outcome", sa.String(8), nullable=False),
    sa.Column("industry", sa.String(128)),
    sa.Column("employees", sa.Float),
    sa.Column("annual_revenue", sa.Float),
    sa.Column("country_code", sa.String(2)),
    sa.Column("confidence", sa.Float),
    sa.Column("credits", sa.Float, nullable=False, default=0.0),
    sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
)

ledger_table = sa.Table(
    LEDGER_TABLE,
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider", sa.String(64), nullable=False),
    sa.Column("credits", sa.Float, nullable=False),
    sa.Column("spent_at", sa.DateTime(timezone=True), nullable=False, index=True),
)


def _row(answer: Answer) -> dict[str, object]:
    row: dict[str, object] = {
        "domain": answer.domain,
        "provider": answer.provider,
        "outcome": answer.outcome.value,
        "confidence": answer.confidence,
        "credits": answer.credits,
        "fetched_at": as_utc(answer.fetched_at),
    }
    for field in _FIELDS:
        row[field] = answer.value(field)
    return row


class EnrichmentCache:
    def __init__(self, engine: sa.Engine | str):
        self.engine = sa.create_engine(engine) if isinstance(engine, str) else engine
        metadata.create_all(self.engine)

    def fresh(
        self,
        domains: Sequence[str],
        providers: Sequence[str],
        now: datetime,
        ttl: CacheTtl,
    ) -> dict[str, dict[str, Answer]]:
        """Domain -> provider -> the remembered answer, if still within its TTL."""
        now = as_utc(now)
        limits = {
            Outcome.HIT.value: now - timedelta(days=ttl.hit_days),
            Outcome.MISS.value: now - timedelta(days=ttl.miss_days),
        }
        out: dict[str, dict[str, Answer]] = {}
        if not providers:
            return out
        with self.engine.connect() as conn:
            for start in range(0, len(domains), _CHUNK):
                chunk = list(domains[start : start + _CHUNK])
                query = sa.select(cache_table).where(
                    cache_table.c.domain.in_(chunk), cache_table.c.provider.in_(list(providers))
                )
                for row in conn.execute(query).mappings():
                    fetched_at = as_utc(row["fetched_at"])
                    cutoff = limits.get(row["outcome"])
                    if cutoff is None or fetched_at <= cutoff:
                        continue
                    values = {f: row[f] for f in _FIELDS if row[f] is not None}
                    answer = Answer(
                        provider=row["provider"],
                        domain=row["domain"],
                        outcome=Outcome(row["outcome"]),
                        fetched_at=fetched_at,
                        values=values,
                        confidence=row["confidence"],
                        reason=None if row["outcome"] == Outcome.HIT.value else "no match",
                        from_cache=True,
                    )
                    out.setdefault(row["domain"], {})[row["provider"]] = answer
        return out

    def store(self, answers: Iterable[Answer]) -> int:
        """Remember fresh hits and misses (not failures, not cache echoes); returns rows."""
        rows = [_row(a) for a in answers if a.answered and not a.from_cache]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            for start in range(0, len(rows), _CHUNK):
                self._upsert(conn, rows[start : start + _CHUNK])
        return len(rows)

    def _upsert(self, conn: sa.Connection, rows: list[dict[str, object]]) -> None:
        dialect = conn.dialect.name
        keys = ("domain", "provider")
        if dialect in ("sqlite", "postgresql"):
            module = sqlite if dialect == "sqlite" else postgresql
            statement = module.insert(cache_table).values(rows)
            updates = {c: statement.excluded[c] for c in rows[0] if c not in keys}
            conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates))
            return
        for row in rows:
            conn.execute(
                sa.delete(cache_table).where(
                    cache_table.c.domain == row["domain"],
                    cache_table.c.provider == row["provider"],
                )
            )
        conn.execute(sa.insert(cache_table), rows)

    def record_spend(self, credits: Mapping[str, float], at: datetime) -> None:
        rows = [
            {"provider": p, "credits": float(c), "spent_at": as_utc(at)}
            for p, c in credits.items()
            if c > 0
        ]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(ledger_table), rows)

    def spent_since(self, since: datetime) -> float:
        query = sa.select(sa.func.coalesce(sa.func.sum(ledger_table.c.credits), 0.0)).where(
            ledger_table.c.spent_at >= as_utc(since)
        )
        with self.engine.connect() as conn:
            return float(conn.execute(query).scalar_one())

    def table(self) -> pd.DataFrame:
        """The whole cache, for the warehouse write and for inspection."""
        with self.engine.connect() as conn:
            frame = pd.read_sql(sa.select(cache_table), conn)
        if not frame.empty:
            frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
        return frame

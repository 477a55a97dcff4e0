"""The `enrichment_cache` warehouse table: what each provider said about each domain.

Keyed by (normalized domain, provider). Hits are reused for `hit_days`, misses for the
shorter `miss_days`, so neither a match nor a "no match" is bought twice. Failures are
never stored as answers: they are retried on the next run. A small ledger,
`enrichment_credit_ledger`, keeps every run's spend per provider so the monthly budget
survives restarts. `enrichment_failing` remembers, per provider, the domains it failed
on when asked alone (with the reason) until it answers them, so the next run asks them
last and alone (`io/vendors/client.py`). Plain SQLAlchemy 2 types: SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from segmentation_pipeline.core.clock import as_utc
from segmentation_pipeline.core.enrich.answers import Answer, Outcome
from segmentation_pipeline.framework.enrichment import CacheTtl
from segmentation_pipeline.io.warehouse import WarehouseWriter, create_engine

CACHE_TABLE = "enrichment_cache"
LEDGER_TABLE = "enrichment_credit_ledger"
FAILING_TABLE = "enrichment_failing"
_FIELDS = ("industry", "employees", "annual_revenue", "country_code")

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

failing_table = sa.Table(
    FAILING_TABLE,
    metadata,
    sa.Column("domain", sa.String(253), primary_key=True),
    sa.Column("provider", sa.String(64), primary_key=True),
    sa.Column("reason", sa.Text),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
)


def _utc(moment: object) -> pd.Timestamp:
    """A stored moment (text on SQLite, a datetime on PostgreSQL) as a UTC timestamp."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


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
        self.engine = create_engine(engine) if isinstance(engine, str) else engine
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
        if not providers or not len(domains):
            return out
        with self.engine.begin() as conn:
            rows = self._rows_for(conn, domains, providers)
        if rows.empty:
            return out
        fetched = pd.to_datetime(rows["fetched_at"], utc=True, format="ISO8601")
        cutoff = rows["outcome"].map({k: pd.Timestamp(v) for k, v in limits.items()})
        rows = rows[(fetched > cutoff).fillna(False).to_numpy(dtype=bool)]
        values = rows[list(_FIELDS)].astype(object)
        values = values.where(values.notna(), None)
        stamps = fetched[rows.index].dt.to_pydatetime()
        records = zip(
            rows["domain"].tolist(),
            rows["provider"].tolist(),
            rows["outcome"].tolist(),
            rows["confidence"].astype(object).where(rows["confidence"].notna(), None).tolist(),
            values.itertuples(index=False, name=None),
            stamps,
            strict=True,
        )
        for domain, provider, outcome, confidence, fields, fetched_at in records:
            known = {f: v for f, v in zip(_FIELDS, fields, strict=True) if v is not None}
            out.setdefault(domain, {})[provider] = Answer(
                provider=provider,
                domain=domain,
                outcome=Outcome(outcome),
                fetched_at=fetched_at,
                values=known,
                confidence=confidence,
                reason=None if outcome == Outcome.HIT.value else "no match",
                from_cache=True,
            )
        return out

    def domains_changed(
        self,
        providers: Sequence[str],
        judged_at: datetime,
        now: datetime,
        ttl: CacheTtl,
        fetched_then: pd.DataFrame,
    ) -> set[str]:
        """Domains whose remembered answers differ now from what a run at `judged_at`
        saw: answers within their TTL then and past it now, and answers fetched since
        that run started other than its own (`fetched_then`: domain, provider,
        fetched_at of each answer it fetched). Not seen: a run writing at the same time
        that re-fetched, within that window, an answer the first run also fetched."""
        if not providers:
            return set()
        judged_at, now = as_utc(judged_at), as_utc(now)
        c = cache_table.c
        expired = [
            sa.and_(
                c.outcome == outcome.value,
                c.fetched_at > judged_at - timedelta(days=days),
                c.fetched_at <= now - timedelta(days=days),
            )
            for outcome, days in ((Outcome.HIT, ttl.hit_days), (Outcome.MISS, ttl.miss_days))
        ]
        wanted = c.provider.in_(list(providers))
        recent = sa.and_(wanted, c.fetched_at >= judged_at)
        own = pd.to_datetime(fetched_then["fetched_at"], utc=True)
        with self.engine.connect() as conn:
            changed = set(
                conn.execute(
                    sa.select(c.domain).distinct().where(wanted, sa.or_(*expired))
                ).scalars()
            )
            count, latest = conn.execute(
                sa.select(sa.func.count(), sa.func.max(c.fetched_at)).where(recent)
            ).one()
            if not count:
                return changed
            # The common case: what was written since is exactly that run's own answers.
            if count == len(own) and _utc(latest) == own.max():
                return changed
            since = sa.select(c.domain, sa.func.max(c.fetched_at)).where(recent).group_by(c.domain)
            written = pd.DataFrame(conn.execute(since).all(), columns=["domain", "fetched_at"])
        newest = pd.to_datetime(written["fetched_at"], utc=True, format="ISO8601")
        own_newest = own.groupby(fetched_then["domain"].to_numpy()).max()
        seen = pd.to_datetime(written["domain"].map(own_newest), utc=True)
        newer = (seen.isna() | (newest > seen)).to_numpy(dtype=bool)
        return changed | set(written["domain"][newer])

    def _rows_for(
        self, conn: sa.Connection, domains: Sequence[str], providers: Sequence[str]
    ) -> pd.DataFrame:
        """The cache rows of these domains and providers: the domains go to a temporary
        table in bulk and are joined once, however many there are."""
        stage = sa.Table(
            "_cache_lookup", sa.MetaData(), sa.Column("domain", sa.String(253)),
            prefixes=["TEMPORARY"],
        )  # fmt: skip
        stage.create(conn)
        WarehouseWriter(conn).insert(stage, pd.DataFrame({"domain": list(dict.fromkeys(domains))}))
        columns = [c.name for c in cache_table.c]
        query = (
            sa.select(
                *(sa.cast(c, sa.Text) if c.name == "fetched_at" else c for c in cache_table.c)
            )  # fmt: skip
            .join_from(cache_table, stage, cache_table.c.domain == stage.c.domain)
            .where(cache_table.c.provider.in_(list(providers)))
        )
        result = conn.execute(query)
        rows = result.cursor.fetchall()
        result.close()
        stage.drop(conn)
        return pd.DataFrame(rows, columns=columns)

    def store(self, answers: Iterable[Answer]) -> int:
        """Remember fresh hits and misses (not failures, not cache echoes); returns rows."""
        rows = [_row(a) for a in answers if a.answered and not a.from_cache]
        if not rows:
            return 0
        frame = pd.DataFrame(rows, columns=[c.name for c in cache_table.c])
        frame = frame.drop_duplicates(["domain", "provider"], keep="last")
        frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
        with self.engine.begin() as conn:
            self._upsert(conn, frame)
        return len(rows)

    def _upsert(self, conn: sa.Connection, frame: pd.DataFrame) -> None:
        """Stage the rows in bulk (COPY on PostgreSQL), then one INSERT .. ON CONFLICT."""
        stage = sa.Table(
            "_cache_upsert", sa.MetaData(), *(sa.Column(c.name, c.type) for c in cache_table.c),
            prefixes=["TEMPORARY"],
        )  # fmt: skip
        stage.create(conn)
        WarehouseWriter(conn).insert(stage, frame)
        keys = ("domain", "provider")
        columns = [c.name for c in cache_table.c]
        dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
        statement = dialect.insert(cache_table).from_select(
            columns, sa.select(*(stage.c[c] for c in columns)).where(sa.true())
        )
        updates = {c: statement.excluded[c] for c in columns if c not in keys}
        conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates))
        stage.drop(conn)

    def failing(self, providers: Sequence[str]) -> dict[str, set[str]]:
        """Provider -> the domains it failed on when last asked alone."""
        c = failing_table.c
        query = sa.select(c.provider, c.domain).where(c.provider.in_(list(providers)))
        out: dict[str, set[str]] = {}
        with self.engine.connect() as conn:
            for provider, domain in conn.execute(query):
                out.setdefault(provider, set()).add(domain)
        return out

    def note_failing(self, answers: Iterable[Answer], known: Mapping[str, Collection[str]]) -> None:
        """Remember the domains that failed alone; forget those of `known` (what
        `failing` said) that were answered."""
        fails = {(a.domain, a.provider): a for a in answers if a.alone}
        mended = [
            (a.domain, a.provider)
            for a in answers
            if a.answered and not a.from_cache and a.domain in known.get(a.provider, ())
        ]
        if not fails and not mended:
            return
        c = failing_table.c
        rows = [
            {"domain": a.domain, "provider": a.provider, "reason": a.reason,
             "failed_at": as_utc(a.fetched_at)}
            for a in fails.values()
        ]  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(failing_table).where(
                    sa.tuple_(c.domain, c.provider).in_([*fails, *mended])
                )
            )
            if rows:
                conn.execute(sa.insert(failing_table), rows)

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

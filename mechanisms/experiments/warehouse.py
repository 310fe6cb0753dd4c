"""Private: the experiments' tables in a data connection (kernel/warehouse.py; docs/experiments.md, Data):
exposures synced from the product's database, metric events loaded, and the one statistics query per metric run
where the data lives.

- `mech_exposures(exposure_id, experiment, hash_version, unit_id, variation, exposed_at)`: written only by
  `sync_exposures`, a copy of the product's Exposure rows (exposure_id is the product's id).
- `mech_metric_events(metric, unit_id, ts, value)`: written by `load_events` (the events CSV, the demo).

Timestamps in these tables are naive UTC.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max

from mechanisms.kernel import warehouse as data
from mechanisms.kernel.errors import DomainError, RuleViolation

from . import stats_sql
from .contracts import MetricSpec, MetricStats, Statistic, Variation, VariationStats
from .models import Experiment, Exposure

EXPOSURE_COLUMNS = ("exposure_id", "experiment", "hash_version", "unit_id", "variation", "exposed_at")
EVENT_COLUMNS = ("metric", "unit_id", "ts", "value")
SYNC_CHUNK = 10_000

_TABLES = (
    f"CREATE TABLE IF NOT EXISTS {stats_sql.EXPOSURES_TABLE} (exposure_id BIGINT NOT NULL, experiment TEXT NOT NULL,"
    " hash_version INTEGER NOT NULL, unit_id TEXT NOT NULL, variation INTEGER NOT NULL, exposed_at TIMESTAMP NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {stats_sql.EVENTS_TABLE} (metric TEXT NOT NULL, unit_id TEXT NOT NULL,"
    " ts TIMESTAMP NOT NULL, value DOUBLE PRECISION)",
)
_INDEXES = {  # DuckDB needs none (its zone maps do); a PostgreSQL warehouse reads by experiment and by metric
    "postgresql": (
        f"CREATE INDEX IF NOT EXISTS mech_exposures_experiment ON {stats_sql.EXPOSURES_TABLE}"
        " (experiment, exposure_id)",
        f"CREATE INDEX IF NOT EXISTS mech_metric_events_metric ON {stats_sql.EVENTS_TABLE} (metric, unit_id, ts)",
    ),
}


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """A datetime as the tables keep it: naive UTC (an aware one converted, a naive one taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def ensure_tables(session: data.WriteSession) -> None:
    """Create the experiments' tables (and a PostgreSQL warehouse's indexes) when missing, in the session."""
    for statement in (*_TABLES, *_INDEXES.get(session.dialect, ())):
        session.execute(statement)


def create_tables(connection: str) -> None:
    """Create the experiments' tables in the named connection when missing (a DuckDB file is created too)."""
    with _writing(connection) as session:
        ensure_tables(session)


def sync_exposures(experiment: Experiment) -> int:
    """Copy the experiment's exposures not yet in its data connection (ids above its watermark
    `synced_exposure_id`) in bulk, then move the watermark; the number copied.

    Idempotent: the copy first deletes whatever the same id range left there (a run that copied and then failed
    before the watermark moved), so a rerun never duplicates. The experiment row is locked for the sync, so two
    syncs of one experiment run one after the other. RuleViolation on `connection` (the engine's error),
    ConnectionBusy."""
    with transaction.atomic():
        row = Experiment.objects.select_for_update().get(pk=experiment.pk)
        start = row.synced_exposure_id
        pending = Exposure.objects.filter(experiment_id=row.pk, id__gt=start)
        last = pending.aggregate(last=Max("id"))["last"]
        if last is None:
            return 0
        rows = (
            (pk, row.key, hash_version, unit_id, variation, naive_utc(exposed_at))
            for pk, unit_id, variation, hash_version, exposed_at in pending.filter(id__lte=last)
            .order_by("id")
            .values_list("id", "unit_id", "variation", "hash_version", "exposed_at")
            .iterator(chunk_size=SYNC_CHUNK)
        )
        with _writing(row.connection) as session:
            ensure_tables(session)
            mark = data.ENGINES[session.dialect].placeholder
            if session.dialect == "postgresql":  # one sync of an experiment at a time in the warehouse too
                session.execute(f"SELECT pg_advisory_xact_lock(hashtext({mark}))", [f"mech_exposures:{row.key}"])
            session.execute(
                f"DELETE FROM {stats_sql.EXPOSURES_TABLE} WHERE experiment = {mark}"
                f" AND exposure_id > {mark} AND exposure_id <= {mark}",
                [row.key, start, last],
            )
            copied = session.insert_rows(stats_sql.EXPOSURES_TABLE, EXPOSURE_COLUMNS, rows)
        Experiment.objects.filter(pk=row.pk).update(synced_exposure_id=last)
        experiment.synced_exposure_id = last
        return copied


def load_events(*, connection: str, rows: Iterable[Sequence[Any]]) -> int:
    """Append metric events (metric, unit_id, ts, value) to the connection's `mech_metric_events` in one
    transaction (all or nothing); their number. The rows are the caller's, already checked. RuleViolation on
    `connection`, ConnectionBusy."""
    prepared = ((m, u, naive_utc(ts), None if v is None else float(v)) for m, u, ts, v in rows)
    with _writing(connection) as session:
        ensure_tables(session)
        return session.insert_rows(stats_sql.EVENTS_TABLE, EVENT_COLUMNS, prepared)


def check_source(*, connection: str, query: str) -> str:
    """A metric source's query, checked: one SELECT (kernel/warehouse.py's check) that runs in the connection and
    returns the columns unit_id, ts and value (read with no rows). The cleaned query; ValueError saying why."""
    text = data.check_query(query, returning="unit_id, ts, value rows")
    probe = f"SELECT unit_id, ts, value FROM (\n{text}\n) src WHERE 1 = 0"
    if data.dialect_of(connection) == "postgresql":
        probe = probe.replace("%", "%%")
    try:
        data.read(connection, probe, (), checked=False)
    except data.QueryFailed as exc:
        raise ValueError(f"the query does not run in {connection!r} as a SELECT of unit_id, ts, value: {exc}") from None
    return text


def sufficient_statistics(
    *,
    connection: str,
    experiment_key: str,
    hash_version: int,
    metric: MetricSpec,
    source: str | None,
    through: dt.datetime,
    variations: Sequence[Variation],
    denominator_source: str | None = None,
    covariate_days: int = 14,
    inverse: bool = False,
) -> tuple[MetricStats, str]:
    """One metric's per-variation sufficient statistics, computed by its one query (stats_sql) in the data
    connection: the MetricStats (variations in plan order with the plan's weights; an arm without exposed units
    has n = 0) and the exact SQL run with its parameters written in (for the snapshot).

    `source`: the metric's SELECT of unit_id, ts, value (None: the connection's events table, by the metric's
    name); likewise `denominator_source` for a ratio's denominator. RuleViolation on `connection` (the engine's
    error, a variation the plan does not have), ConnectionBusy."""
    dialect = data.dialect_of(connection) if connection in data.connections() else None
    if dialect is None:
        raise RuleViolation(f"no data connection named {connection!r} in MECH_METRICS_CONNECTIONS", field="connection")
    try:
        spec = stats_sql.MetricQuerySpec(
            experiment=experiment_key,
            hash_version=hash_version,
            metric=metric.metric,
            statistic=Statistic(metric.statistic),
            through=naive_utc(through),
            source=_source_text(source),
            denominator=metric.denominator,
            denominator_source=_source_text(denominator_source),
            cuped=bool(metric.cuped),
            covariate_days=covariate_days,
        )
        sql, params = stats_sql.query(dialect=dialect, spec=spec)
        shown = stats_sql.inlined(dialect=dialect, spec=spec)
    except ValueError as exc:
        raise RuleViolation(
            f"the statistics query of {metric.metric} cannot be written: {exc}", field="metric"
        ) from None
    _ensure(connection)
    try:
        rows = data.read(connection, sql, params, checked=False)
    except data.QueryFailed as exc:
        raise RuleViolation(
            f"the statistics of {metric.metric} could not be computed in {connection!r}: {exc}", field="connection"
        ) from None
    names = stats_sql.columns(spec)
    found: dict[int, dict[str, Any]] = {}
    for raw in rows:
        values = dict(zip(names, raw, strict=True))
        index = int(values["variation"])
        if not 0 <= index < len(variations):
            raise RuleViolation(
                f"the data connection {connection!r} has exposures of {experiment_key} in variation {index},"
                f" which its plan does not have",
                field="connection",
            )
        found[index] = values
    arms = []
    for index, variation in enumerate(variations):
        values = found.get(index) or {}
        sums = {k: float(values.get(k) or 0.0) for k in names[2:]}
        if spec.statistic != Statistic.RATIO and not spec.cuped:
            sums = {k: sums[k] for k in ("sum", "sum_squares")}
        arms.append(VariationStats(name=variation.key, weight=variation.weight, n=int(values.get("n") or 0), **sums))
    stats = MetricStats(
        name=metric.metric, statistic=spec.statistic, variations=tuple(arms), cuped=spec.cuped, inverse=inverse
    )
    return stats, shown


# ------------------------------------------------------------------------------------------------- private

_ensured: set[tuple[str, str]] = set()


def _ensure(connection: str) -> None:
    """Create the tables once per process and database before the first read (a new DuckDB file has none)."""
    settings = data.connection_settings(connection)
    key = (connection, str(settings.get("path") or settings.get("dsn") or ""))
    if key in _ensured:
        return
    create_tables(connection)
    _ensured.add(key)


def _source_text(source: str | None) -> str | None:
    if source is None or not source.strip():
        return None
    try:
        return data.check_query(source, returning="unit_id, ts, value rows")
    except ValueError as exc:
        raise ValueError(f"its source: {exc}") from None


def _engine_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [data.QueryFailed]
    try:
        import duckdb

        found.append(duckdb.Error)
    except ImportError:  # pragma: no cover - duckdb is a dependency
        pass
    try:
        import psycopg

        found.append(psycopg.Error)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    return tuple(found)


@contextlib.contextmanager
def _writing(connection: str) -> Iterator[data.WriteSession]:
    """kernel.warehouse.write with the engine's errors as a RuleViolation on `connection` (ConnectionBusy and the
    product's own errors pass as they are)."""
    try:
        with data.write(connection) as session:
            yield session
    except DomainError:
        raise
    except _engine_errors() as exc:
        raise RuleViolation(
            f"the data connection {connection!r} failed: {str(exc).strip()[:1000]}", field="connection"
        ) from exc

"""Private: running a metric's SQL query against its data connection (docs/metrics.md, SQL pulls).

A query returns rows of (day, value). It must be ONE statement starting with SELECT or WITH, and it still runs in
a read-only connection or transaction, with a statement timeout, and at most MAX_ROWS rows are read.

The connections and their engines are the kernel's data connections (kernel/warehouse.py, shared with
experiments): a warehouse (BigQuery, Snowflake, Trino) is one more engine there, added to contracts.Engine and
named by a connection in MECH_METRICS_CONNECTIONS. This module adds what is the metrics' own: the (day, value)
shape of the rows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from mechanisms.kernel import warehouse
from mechanisms.kernel.warehouse import MAX_QUERY, MAX_ROWS, TIMEOUT_SECONDS, Limits, QueryFailed

__all__ = ["MAX_QUERY", "MAX_ROWS", "TIMEOUT_SECONDS", "Limits", "QueryFailed", "check_query", "connections", "run"]


def check_query(query: str) -> str:
    """The query without a trailing semicolon, when it is one SELECT (or WITH ... SELECT) statement; ValueError
    saying why otherwise (kernel/warehouse.py's check)."""
    return warehouse.check_query(query, returning="(day, value) rows")


def connections() -> Mapping[str, Mapping[str, Any]]:
    """The named connections of settings.MECH_METRICS_CONNECTIONS: name -> {"engine": ..., engine settings}."""
    return warehouse.connections()


def run(engine: str, connection_name: str, query: str, *, limits: Limits = Limits()) -> list[tuple[dt.date, Any]]:
    """Run `query` on the named connection with its engine; the rows as (day, value | None). QueryFailed (a busy
    DuckDB file too: the pull is retried on its next period)."""
    connection = connections().get(connection_name)
    if connection is None:
        raise QueryFailed(f"no connection named {connection_name!r} in MECH_METRICS_CONNECTIONS")
    if connection.get("engine", "duckdb") != engine:
        raise QueryFailed(f"connection {connection_name!r} is {connection.get('engine')}, not {engine}")
    if engine not in warehouse.ENGINES:
        raise QueryFailed(f"no engine {engine!r}")
    try:
        text = check_query(query)
        rows = warehouse.read(connection_name, text, limits=limits)
    except ValueError as exc:
        raise QueryFailed(str(exc)) from None
    except warehouse.ConnectionBusy as exc:
        raise QueryFailed(exc.message) from None
    return _as_points(rows)


def _as_points(rows: Sequence[Sequence[Any]]) -> list[tuple[dt.date, float | None]]:
    out = []
    seen: set[dt.date] = set()
    for n, row in enumerate(rows, 1):
        if len(row) < 2:
            raise QueryFailed(f"row {n} has {len(row)} column(s); the query must return (day, value)")
        day, value = row[0], row[1]
        if isinstance(day, dt.datetime):
            day = day.date()
        elif isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day.strip())
            except ValueError:
                raise QueryFailed(f"row {n}: day {day[:40]!r} is not an ISO date") from None
        if not isinstance(day, dt.date):
            raise QueryFailed(f"row {n}: day {day!r} is not a date")
        if day in seen:
            raise QueryFailed(f"row {n}: day {day} comes twice; return one value per day")
        seen.add(day)
        if value is not None:
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise QueryFailed(f"row {n}: value {str(value)[:40]!r} is not a number") from None
            if not math.isfinite(value):
                raise QueryFailed(f"row {n}: value {value} is not a finite number")
        out.append((day, value))
    return out

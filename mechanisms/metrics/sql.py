"""Private: running a metric's SQL query against its engine (docs/metrics.md, SQL pulls).

A query returns rows of (day, value). It must be ONE statement starting with SELECT or WITH, and it still runs in
a read-only connection or transaction, with a statement timeout, and at most MAX_ROWS rows are read.

Each engine is one entry of ENGINES: a function taking (connection settings, query, limits) and returning rows.
A warehouse (BigQuery, Snowflake, Trino) is one more such function, e.g. for Trino::

    def _run_trino(connection, query, limits):
        conn = trino.dbapi.connect(host=connection["host"], user=connection["user"], catalog=connection["catalog"])
        cur = conn.cursor()
        cur.execute(query)
        return cur.fetchmany(limits.max_rows + 1)

added to ENGINES under its name, to contracts.Engine, and named by a connection in MECH_METRICS_CONNECTIONS.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

MAX_ROWS = 100_000
TIMEOUT_SECONDS = 30
MAX_QUERY = 20_000


class QueryFailed(Exception):
    """The query could not run or returned rows that are not (day, value); the message says why, for people."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_rows: int = MAX_ROWS
    timeout_seconds: int = TIMEOUT_SECONDS


_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def check_query(query: str) -> str:
    """The query without a trailing semicolon, when it is one SELECT (or WITH ... SELECT) statement; ValueError
    saying why otherwise. The check is a first line: the query also runs read-only, so a write that slips
    through (a data-modifying CTE) is refused by the engine."""
    text = (query or "").strip()
    if not text:
        raise ValueError("the query is empty; write a SELECT returning (day, value) rows")
    if len(text) > MAX_QUERY:
        raise ValueError(f"the query is longer than {MAX_QUERY} characters")
    if "\x00" in text:
        raise ValueError("the query contains a NUL character")
    while text.endswith(";"):
        text = text[:-1].rstrip()
    bare = _STRING.sub("''", _COMMENT.sub(" ", text))
    if ";" in bare:
        raise ValueError("only one statement is allowed (no ';' inside the query)")
    first = bare.strip().split(None, 1)[0].lower() if bare.strip() else ""
    first = first.lstrip("(")
    if first not in ("select", "with"):
        raise ValueError(f"only a SELECT (or WITH ... SELECT) query is allowed, not {first.upper() or 'nothing'}")
    return text


def connections() -> Mapping[str, Mapping[str, Any]]:
    """The named connections of settings.MECH_METRICS_CONNECTIONS: name -> {"engine": ..., engine settings}."""
    return getattr(settings, "MECH_METRICS_CONNECTIONS", {}) or {}


def run(engine: str, connection_name: str, query: str, *, limits: Limits = Limits()) -> list[tuple[dt.date, Any]]:
    """Run `query` on the named connection with its engine; the rows as (day, value | None). QueryFailed."""
    connection = connections().get(connection_name)
    if connection is None:
        raise QueryFailed(f"no connection named {connection_name!r} in MECH_METRICS_CONNECTIONS")
    if connection.get("engine", "duckdb") != engine:
        raise QueryFailed(f"connection {connection_name!r} is {connection.get('engine')}, not {engine}")
    runner = ENGINES.get(engine)
    if runner is None:
        raise QueryFailed(f"no engine {engine!r}")
    try:
        text = check_query(query)
    except ValueError as exc:
        raise QueryFailed(str(exc)) from None
    try:
        rows = runner(connection, text, limits)
    except QueryFailed:
        raise
    except Exception as exc:  # every engine's own errors: what the query's author needs to read
        raise QueryFailed(f"{type(exc).__name__}: {str(exc).strip()[:1000]}") from exc
    if len(rows) > limits.max_rows:
        raise QueryFailed(f"the query returned more than {limits.max_rows} rows; narrow it (e.g. by date)")
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


def _run_duckdb(connection: Mapping[str, Any], query: str, limits: Limits) -> list[tuple]:
    """DuckDB, embedded: the database file opened read-only (a missing file is an error, never created), with
    external access off, so a query reads the database's tables and not the server's files (read_csv('/etc/...'))
    or other databases (ATTACH)."""
    import os

    import duckdb

    path = str(connection.get("path") or "")
    if not path or not os.path.exists(path):
        raise QueryFailed(f"the DuckDB database {path or '(no path)'} does not exist")
    with duckdb.connect(path, read_only=True, config={"enable_external_access": False}) as conn:
        cursor = conn.execute(query)
        return cursor.fetchmany(limits.max_rows + 1)


def _run_postgresql(connection: Mapping[str, Any], query: str, limits: Limits) -> list[tuple]:
    """PostgreSQL: a DSN, a read-only transaction with a statement timeout, rolled back after reading."""
    import psycopg

    dsn = str(connection.get("dsn") or "")
    if not dsn:
        raise QueryFailed("the connection has no dsn")
    timeout_ms = min(int(connection.get("timeout_seconds", limits.timeout_seconds)), limits.timeout_seconds) * 1000
    with psycopg.connect(dsn, connect_timeout=10, autocommit=False) as conn:
        conn.read_only = True
        try:
            with conn.cursor() as cur:
                cur.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
                cur.execute(query)
                return cur.fetchmany(limits.max_rows + 1)
        finally:
            conn.rollback()


ENGINES: dict[str, Callable[[Mapping[str, Any], str, Limits], list[tuple]]] = {
    "duckdb": _run_duckdb,
    "postgresql": _run_postgresql,
}

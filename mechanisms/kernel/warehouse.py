"""The data connections: where metrics' SQL pulls and experiments' statistics run (docs/deploy.md, Data
connections; docs/metrics.md, SQL pulls; docs/experiments.md, Data).

One registry, settings.MECH_METRICS_CONNECTIONS (the name is kept from when only metrics used it): a connection
name -> {"engine": "duckdb", "path": ...} or {"engine": "postgresql", "dsn": ...}. Two ways in:

- `read(name, query, params)`: a query someone wrote (a metric's pull, an experiment's metric source) or the
  product's own statistics query, run read-only with a statement timeout, at most `Limits.max_rows` rows read.
  DuckDB opens the file read-only with external access off (no read_csv('/etc/...'), no ATTACH); PostgreSQL runs
  in a read-only transaction that is rolled back.
- `write(name)`: a short-lived write session for the product's own tables in a data connection (experiments'
  synced exposures and loaded events): one transaction, committed when the block ends, rolled back on an error.

DuckDB lets one process at a time hold a file read-write (and, in one process, connections of one kind at a
time), so a connection is opened for one job and closed; a locked file is retried a few times with a short sleep
and then ConnectionBusy says the data connection is busy (a 409, never a 500).

A warehouse (Trino, BigQuery, Snowflake) is one more `Engine` entry in ENGINES: its read runner, its write session
(or none: read-only) and its parameter placeholder, e.g. for Trino::

    def _read_trino(connection, query, params, limits):
        conn = trino.dbapi.connect(host=connection["host"], user=connection["user"], catalog=connection["catalog"])
        cur = conn.cursor()
        cur.execute(query, params)
        return cur.fetchmany(limits.max_rows + 1)

    ENGINES["trino"] = Engine("trino", placeholder="?", read=_read_trino)
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .errors import DomainError

MAX_ROWS = 100_000
TIMEOUT_SECONDS = 30
MAX_QUERY = 20_000
BUSY_RETRIES = 5  # a locked DuckDB file is tried this many times ...
BUSY_SLEEP_SECONDS = 0.2  # ... this long apart (a connection may set "busy_retries")


class QueryFailed(Exception):
    """The query could not run (the engine's error, a missing database, too many rows); the message, for people,
    says why."""


class ConnectionBusy(DomainError):
    """The data connection is in use by another writer (a DuckDB file held by another process) and stayed so
    through the retries: try again shortly."""

    code = "connection_busy"
    http_status = 409


class UnknownConnection(QueryFailed):
    """No connection of that name in MECH_METRICS_CONNECTIONS."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_rows: int = MAX_ROWS
    timeout_seconds: int = TIMEOUT_SECONDS


_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def check_query(query: str, *, returning: str = "rows") -> str:
    """The query without a trailing semicolon, when it is one SELECT (or WITH ... SELECT) statement; ValueError
    saying why otherwise (`returning` names what it must return, for the message). The check is a first line: the
    query also runs read-only, so a write that slips through (a data-modifying CTE) is refused by the engine."""
    text = (query or "").strip()
    if not text:
        raise ValueError(f"the query is empty; write a SELECT returning {returning}")
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
    """The named data connections of settings.MECH_METRICS_CONNECTIONS: name -> {"engine": ..., its settings}."""
    return getattr(settings, "MECH_METRICS_CONNECTIONS", {}) or {}


def connection_settings(name: str) -> Mapping[str, Any]:
    """One connection's settings; UnknownConnection naming the known ones otherwise."""
    known = connections()
    found = known.get(name)
    if found is None:
        raise UnknownConnection(
            f"no connection named {name!r} in MECH_METRICS_CONNECTIONS (it has: {', '.join(sorted(known)) or 'none'})"
        )
    return found


def engine_of(name: str) -> str:
    """The engine name of a connection ("duckdb" when the connection does not say)."""
    return str(connection_settings(name).get("engine", "duckdb"))


def dialect_of(name: str) -> str:
    """The SQL dialect of a connection: its engine's name (what stats_sql and the like translate for)."""
    return engine_of(name)


def read(
    name: str, query: str, params: Sequence[Any] = (), *, limits: Limits = Limits(), checked: bool = True
) -> list[tuple]:
    """Run `query` (with `params` in the engine's placeholder style) on the named connection, read-only; its rows.
    `checked`: the query is first held to `check_query` (one SELECT). QueryFailed saying why; ConnectionBusy."""
    connection = connection_settings(name)
    engine = ENGINES.get(str(connection.get("engine", "duckdb")))
    if engine is None:
        raise QueryFailed(f"connection {name!r} names an unknown engine {connection.get('engine')!r}")
    text = query
    if checked:
        try:
            text = check_query(query)
        except ValueError as exc:
            raise QueryFailed(str(exc)) from None
    try:
        rows = engine.read(connection, text, tuple(params), limits)
    except (QueryFailed, ConnectionBusy):
        raise
    except Exception as exc:  # every engine's own errors: what the query's author needs to read
        raise QueryFailed(f"{type(exc).__name__}: {str(exc).strip()[:1000]}") from exc
    if len(rows) > limits.max_rows:
        raise QueryFailed(f"the query returned more than {limits.max_rows} rows; narrow it (e.g. by date)")
    return rows


class WriteSession:
    """One open write transaction on a data connection (from `write`): `execute`, `executemany`, and
    `insert_rows` (the engine's bulk path: PostgreSQL COPY, DuckDB an INSERT ... SELECT of NumPy columns)."""

    def __init__(self, name: str, dialect: str, raw: Any) -> None:
        self.name = name
        self.dialect = dialect
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement in the session's transaction; its rows (none for a statement without a result)."""
        if self.dialect == "duckdb":  # a DuckDB cursor is a second connection: run on the connection itself
            result = self.raw.execute(sql, list(params)) if params else self.raw.execute(sql)
            return list(result.fetchall()) if result.description else []
        with self.raw.cursor() as cur:
            cur.execute(sql, tuple(params) or None)
            return list(cur.fetchall()) if cur.description else []

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.dialect == "duckdb":
            self.raw.executemany(sql, [list(r) for r in rows])
            return
        with self.raw.cursor() as cur:
            cur.executemany(sql, rows)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]] | Sequence[Any]) -> int:
        """Append rows to `table` (a name the product wrote, never a person's text) in bulk; their count."""
        return ENGINES[self.dialect].insert_rows(self, table, columns, rows)


@contextlib.contextmanager
def write(name: str) -> Iterator[WriteSession]:
    """A write session on the named connection for the product's own tables: one transaction, committed when the
    block ends, rolled back when it raises. QueryFailed (no such connection, an engine without writes, the
    engine's error), ConnectionBusy (a DuckDB file locked through the retries)."""
    connection = connection_settings(name)
    engine = ENGINES.get(str(connection.get("engine", "duckdb")))
    if engine is None or engine.write is None:
        raise QueryFailed(f"connection {name!r} ({connection.get('engine')}) takes no writes from the product")
    with engine.write(connection) as raw:
        yield WriteSession(name, engine.name, raw)


# ------------------------------------------------------------------------------------------------- engines


@dataclass(frozen=True, slots=True)
class Engine:
    name: str
    placeholder: str  # the parameter placeholder of its driver: "?" or "%s"
    read: Callable[[Mapping[str, Any], str, tuple, Limits], list[tuple]]
    write: Callable[[Mapping[str, Any]], contextlib.AbstractContextManager[Any]] | None = None
    insert_rows: Callable[[WriteSession, str, Sequence[str], Any], int] | None = None


_BUSY_MESSAGES = ("could not set lock", "conflicting lock", "different configuration than existing connections")


def _is_busy(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(m in text for m in _BUSY_MESSAGES)


def _duckdb_connect(connection: Mapping[str, Any], *, read_only: bool) -> Any:
    """Open the DuckDB file, retrying a lock held elsewhere; ConnectionBusy when it stays locked."""
    import duckdb

    path = str(connection.get("path") or "")
    if not path:
        raise QueryFailed("the DuckDB connection has no path")
    if read_only and not os.path.exists(path):
        raise QueryFailed(f"the DuckDB database {path} does not exist")
    config = {"enable_external_access": False} if read_only else {}
    retries = max(1, int(connection.get("busy_retries", BUSY_RETRIES)))
    for attempt in range(retries):
        try:
            return duckdb.connect(path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            if not _is_busy(exc):
                raise
            if attempt + 1 < retries:
                time.sleep(BUSY_SLEEP_SECONDS)
    raise ConnectionBusy(
        "the data connection is busy: its DuckDB file is in use by another writer; try again shortly",
        field="connection",
    )


def _read_duckdb(connection: Mapping[str, Any], query: str, params: tuple, limits: Limits) -> list[tuple]:
    """DuckDB, embedded: the database file opened read-only (a missing file is an error, never created), with
    external access off, so a query reads the database's tables and not the server's files or other databases."""
    conn = _duckdb_connect(connection, read_only=True)
    try:
        cursor = conn.execute(query, list(params)) if params else conn.execute(query)
        return cursor.fetchmany(limits.max_rows + 1)
    finally:
        conn.close()


@contextlib.contextmanager
def _write_duckdb(connection: Mapping[str, Any]) -> Iterator[Any]:
    """DuckDB read-write (the file is created when missing), one transaction, closed at the end."""
    path = str(connection.get("path") or "")
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    conn = _duckdb_connect(connection, read_only=False)
    try:
        conn.execute("BEGIN TRANSACTION")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


_DUCKDB_CHUNK = 100_000


def _insert_duckdb(session: WriteSession, table: str, columns: Sequence[str], rows: Any) -> int:
    """DuckDB's fast path without Arrow or pandas: each chunk of rows as columns of NumPy object arrays (NumPy
    comes with scipy), registered as a view and inserted by one INSERT ... SELECT (executemany is a thousand
    rows a second; this is hundreds of thousands)."""
    import numpy as np

    names = list(columns)
    insert = f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM mech_bulk_rows"
    count = 0
    chunk: list[Sequence[Any]] = []

    def flush() -> None:
        arrays = {}
        for k, name in enumerate(names):
            column = np.empty(len(chunk), dtype=object)
            column[:] = [row[k] for row in chunk]
            arrays[name] = column
        session.raw.register("mech_bulk_rows", arrays)
        try:
            session.raw.execute(insert)
        finally:
            session.raw.unregister("mech_bulk_rows")

    for row in rows:
        chunk.append(row)
        if len(chunk) >= _DUCKDB_CHUNK:
            flush()
            count += len(chunk)
            chunk = []
    if chunk:
        flush()
        count += len(chunk)
    return count


def _pg_dsn(connection: Mapping[str, Any]) -> str:
    dsn = str(connection.get("dsn") or "")
    if not dsn:
        raise QueryFailed("the PostgreSQL connection has no dsn")
    return dsn


def _read_postgresql(connection: Mapping[str, Any], query: str, params: tuple, limits: Limits) -> list[tuple]:
    """PostgreSQL: a DSN, a read-only transaction with a statement timeout, rolled back after reading."""
    import psycopg

    timeout_ms = min(int(connection.get("timeout_seconds", limits.timeout_seconds)), limits.timeout_seconds) * 1000
    with psycopg.connect(_pg_dsn(connection), connect_timeout=10, autocommit=False) as conn:
        conn.read_only = True
        try:
            with conn.cursor() as cur:
                cur.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
                cur.execute(query, params or None)
                return cur.fetchmany(limits.max_rows + 1)
        finally:
            conn.rollback()


@contextlib.contextmanager
def _write_postgresql(connection: Mapping[str, Any]) -> Iterator[Any]:
    """PostgreSQL read-write: one transaction (psycopg's connection block commits, or rolls back on an error)."""
    import psycopg

    with psycopg.connect(_pg_dsn(connection), connect_timeout=10, autocommit=False) as conn:
        yield conn


def _insert_postgresql(session: WriteSession, table: str, columns: Sequence[str], rows: Any) -> int:
    count = 0
    with session.raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


ENGINES: dict[str, Engine] = {
    "duckdb": Engine("duckdb", "?", _read_duckdb, _write_duckdb, _insert_duckdb),
    "postgresql": Engine("postgresql", "%s", _read_postgresql, _write_postgresql, _insert_postgresql),
}

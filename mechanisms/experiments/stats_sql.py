"""Pure: the one SQL query per metric that computes the per-variation sufficient statistics where the data lives,
written once, portable to DuckDB, PostgreSQL and warehouse dialects (docs/experiments.md, Data).

The statement is ANSI SQL (CTEs, CASE, COALESCE, CAST, SUM, COUNT, an INTERVAL 'n' DAY) and its parameters are
written with one placeholder, translated per dialect (DuckDB `?`, PostgreSQL `%s`). It reads two tables of the data
connection, `mech_exposures` (the product's exposures, synced) and `mech_metric_events` (or, for a metric with a
source, the source's SELECT of unit_id, ts, value), and returns one row per variation:

    variation, n, sum, sum_squares                              every statistic
    m_sum, m_sum_squares, d_sum, d_sum_squares,
    m_d_sum_of_products                                         ratio (numerator m, denominator d)
    covariate_sum, covariate_sum_squares,
    main_covariate_sum_product                                  CUPED

Per unit exposed up to `through` (in its variation, under the experiment's hash version): a mean metric's value is
the sum of its events from the exposure up to `through` (0 for a unit without events); a proportion's is 1 when it
has any such event, else 0; a ratio's numerator and denominator are each metric's per-unit sum (and `sum`,
`sum_squares` repeat the numerator's); CUPED's covariate is the same per-unit value over the `covariate_days`
before the exposure. Only these few rows come back, never the units.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from .contracts import Statistic

DIALECTS = {"duckdb": "?", "postgresql": "%s"}
EXPOSURES_TABLE = "mech_exposures"
EVENTS_TABLE = "mech_metric_events"
MAX_COVARIATE_DAYS = 366

BASE_COLUMNS = ("variation", "n", "sum", "sum_squares")
RATIO_COLUMNS = ("m_sum", "m_sum_squares", "d_sum", "d_sum_squares", "m_d_sum_of_products")
CUPED_COLUMNS = ("covariate_sum", "covariate_sum_squares", "main_covariate_sum_product")

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


@dataclass(frozen=True, slots=True)
class MetricQuerySpec:
    """What one metric's statistics query reads: the experiment (its key and hash version), the metric (its
    registry name, read from the events table, or `source`: one SELECT returning unit_id, ts, value), how its
    per-unit value is summarised, a ratio's denominator (likewise a name and an optional source), CUPED and its
    window, and the data's end `through` (a naive UTC datetime, like the tables' timestamps)."""

    experiment: str
    hash_version: int
    metric: str
    statistic: Statistic
    through: dt.datetime
    source: str | None = None
    denominator: str | None = None
    denominator_source: str | None = None
    cuped: bool = False
    covariate_days: int = 14
    exposures_table: str = EXPOSURES_TABLE
    events_table: str = EVENTS_TABLE


def columns(spec: MetricQuerySpec) -> tuple[str, ...]:
    """The columns of the query's rows, in order."""
    if spec.statistic == Statistic.RATIO:
        return BASE_COLUMNS + RATIO_COLUMNS
    if spec.cuped:
        return BASE_COLUMNS + CUPED_COLUMNS
    return BASE_COLUMNS


def query(*, dialect: str, spec: MetricQuerySpec) -> tuple[str, list]:
    """The statement for `dialect` and its parameters, in order. ValueError for a spec that cannot be right (an
    unknown dialect, a ratio without a denominator, CUPED with a ratio, a covariate window out of 1..366 days)."""
    placeholder = _placeholder(dialect)
    text: list[str] = []
    params: list = []
    for kind, value in _pieces(spec):
        if kind == "param":
            text.append(placeholder)
            params.append(value)
        elif kind == "source" and placeholder == "%s":
            text.append(value.replace("%", "%%"))  # a literal % in a person's query, for the driver's format
        else:
            text.append(value)
    return "".join(text), params


def inlined(*, dialect: str, spec: MetricQuerySpec) -> str:
    """The exact statement with its parameters written in as SQL literals: what a snapshot keeps, and what a
    person pastes into the engine to check a number."""
    _placeholder(dialect)
    return "".join(literal(value) if kind == "param" else value for kind, value in _pieces(spec))


def literal(value: object) -> str:
    """An SQL literal for a parameter: a quoted string (quotes doubled), an integer, a finite float, a
    TIMESTAMP '...'."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"no literal for {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"no literal for {value!r}")
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.replace(tzinfo=None).isoformat(sep=' ')}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"no literal for {type(value).__name__}")


# ------------------------------------------------------------------------------------------------- private


def _placeholder(dialect: str) -> str:
    found = DIALECTS.get(dialect)
    if found is None:
        raise ValueError(f"no SQL dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    return found


def _check(spec: MetricQuerySpec) -> Statistic:
    statistic = Statistic(spec.statistic)
    for table in (spec.exposures_table, spec.events_table):
        if not _NAME.match(table):
            raise ValueError(f"table name {table!r} is not a plain name")
    if statistic == Statistic.RATIO:
        if not spec.denominator:
            raise ValueError("a ratio needs a denominator metric")
        if spec.cuped:
            raise ValueError("CUPED does not apply to a ratio")
    if spec.cuped and (
        isinstance(spec.covariate_days, bool)
        or not isinstance(spec.covariate_days, int)
        or not 1 <= spec.covariate_days <= MAX_COVARIATE_DAYS
    ):
        raise ValueError(f"covariate_days must be a whole number of days from 1 to {MAX_COVARIATE_DAYS}")
    return statistic


def _events(name: str, source: str | None, spec: MetricQuerySpec) -> list[tuple[str, object]]:
    """One metric's events up to `through`: from the events table by name, or from its source's SELECT (cast to
    the shapes the rest of the query expects)."""
    if source is None:
        return [
            ("sql", f"SELECT unit_id, ts, value FROM {spec.events_table} WHERE metric = "),
            ("param", name),
            ("sql", " AND ts <= "),
            ("param", spec.through),
        ]
    return [
        (
            "sql",
            "SELECT CAST(src.unit_id AS VARCHAR) AS unit_id, CAST(src.ts AS TIMESTAMP) AS ts,"
            " CAST(src.value AS DOUBLE PRECISION) AS value FROM (\n",
        ),
        ("source", source),
        ("sql", "\n) src WHERE CAST(src.ts AS TIMESTAMP) <= "),
        ("param", spec.through),
    ]


def _pieces(spec: MetricQuerySpec) -> list[tuple[str, object]]:
    """The statement in pieces. One join of the exposed units with their events (the numerator's and a ratio's
    denominator's, tagged, read once), grouped by unit: each unit's value after its exposure (and CUPED's before
    it). A unit without events adds nothing to any sum, so it is never materialised: the counts of exposed units
    per variation come from one scan of the exposures, and the sums only from units with events."""
    statistic = _check(spec)
    ratio = statistic == Statistic.RATIO
    out: list[tuple[str, object]] = [
        ("sql", "WITH exposed AS (\n  SELECT unit_id, variation, exposed_at FROM "),
        ("sql", spec.exposures_table),
        ("sql", "\n  WHERE experiment = "),
        ("param", spec.experiment),
        ("sql", " AND hash_version = "),
        ("param", int(spec.hash_version)),
        ("sql", " AND exposed_at <= "),
        ("param", spec.through),
        ("sql", "\n),\nevents AS (\n  SELECT unit_id, ts, value, 0 AS part FROM (\n  "),
        *_events(spec.metric, spec.source, spec),
        ("sql", "\n  ) m"),
    ]
    if ratio:
        out += [
            ("sql", "\n  UNION ALL\n  SELECT unit_id, ts, value, 1 AS part FROM (\n  "),
            *_events(str(spec.denominator), spec.denominator_source, spec),
            ("sql", "\n  ) d"),
        ]
    after = "e.ts >= x.exposed_at"
    if spec.cuped:
        start = f"x.exposed_at - INTERVAL '{int(spec.covariate_days)}' DAY"
        window, before = f"e.ts >= {start}", "e.ts < x.exposed_at"
    else:
        window, before = after, ""
    values = [_unit_value("m", statistic, f"e.part = 0 AND {after}")]
    if ratio:
        values.append(_unit_value("d", Statistic.MEAN, f"e.part = 1 AND {after}"))
    if spec.cuped:
        values.append(_unit_value("c", statistic, before))
    sums = ["SUM(u.m) AS sum", "SUM(u.m * u.m) AS sum_squares"]
    if ratio:
        sums += [
            "SUM(u.m) AS m_sum",
            "SUM(u.m * u.m) AS m_sum_squares",
            "SUM(u.d) AS d_sum",
            "SUM(u.d * u.d) AS d_sum_squares",
            "SUM(u.m * u.d) AS m_d_sum_of_products",
        ]
    if spec.cuped:
        sums += [
            "SUM(u.c) AS covariate_sum",
            "SUM(u.c * u.c) AS covariate_sum_squares",
            "SUM(u.m * u.c) AS main_covariate_sum_product",
        ]
    names = [s.rsplit(" AS ", 1)[1] for s in sums]
    out.append(
        (
            "sql",
            "\n),\nunits AS (\n  SELECT x.variation, "
            + ", ".join(values)
            + f"\n  FROM exposed x JOIN events e ON e.unit_id = x.unit_id AND {window}"
            + "\n  GROUP BY x.variation, x.unit_id\n),"
            + "\nsums AS (\n  SELECT u.variation, "
            + ", ".join(sums)
            + "\n  FROM units u GROUP BY u.variation\n),"
            + "\ncounts AS (\n  SELECT variation, COUNT(*) AS n FROM exposed GROUP BY variation\n)"
            + "\nSELECT c.variation, c.n, "
            + ", ".join(f"COALESCE(s.{name}, 0) AS {name}" for name in names)
            + "\nFROM counts c LEFT JOIN sums s ON s.variation = c.variation\nORDER BY c.variation",
        )
    )
    return out


def _unit_value(name: str, statistic: Statistic, when: str) -> str:
    """A unit's value over its events that meet `when`: a proportion's 1 when there is any, a mean's sum (0 when
    none)."""
    if statistic == Statistic.PROPORTION:
        return f"MAX(CASE WHEN {when} THEN 1.0 ELSE 0.0 END) AS {name}"
    return f"SUM(CASE WHEN {when} THEN COALESCE(e.value, 0.0) ELSE 0.0 END) AS {name}"

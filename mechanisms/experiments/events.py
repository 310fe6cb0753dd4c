"""Private: reading a CSV of metric events (docs/experiments.md, Data): columns metric, unit_id, ts, value, every
problem named by its line and field. Pure (no Django)."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field

from mechanisms.kernel.importing import open_csv

HEADER = ("metric", "unit_id", "ts", "value")
MAX_EVENTS = 1_000_000
MAX_UNIT_ID = 200
MAX_METRIC = 120
MAX_PROBLEMS = 50


@dataclass
class ParsedEvents:
    """The rows (metric, unit_id, ts as naive UTC, value or None), the first line of each metric, the problems
    as (line, field, message)."""

    rows: list[tuple[str, str, dt.datetime, float | None]] = field(default_factory=list)
    first_line: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[int, str, str]] = field(default_factory=list)

    def problem(self, line: int, column: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((line, column, message))


def parse_timestamp(text: str) -> dt.datetime:
    """An ISO 8601 date or date and time; with a time zone converted to UTC, without one taken as UTC (naive)."""
    value = text.strip()
    if len(value) == 10:
        day = dt.date.fromisoformat(value)
        return dt.datetime(day.year, day.month, day.day)
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def parse_events(content: bytes) -> ParsedEvents:
    """Every event of the file, or its problems (line numbers count the header as line 1). A blank value is kept
    as None (an event without a value still counts for a proportion); blank lines are skipped."""
    out = ParsedEvents()
    opened = open_csv(content, out.problem)
    if opened is None:
        return out
    header, reader = opened
    columns = tuple(h.strip().lower() for h in header or ())
    if columns != HEADER:
        out.problem(1, "header", f"the header must be {','.join(HEADER)}, not {','.join(columns)[:80] or 'empty'}")
        return out
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not row or not any(c.strip() for c in row):
                continue
            if len(out.rows) >= MAX_EVENTS:
                out.problem(line, "file", f"a file holds at most {MAX_EVENTS} events; split it")
                return out
            _read_row(row, line, out)
    except csv.Error as exc:
        out.problem(line + 1, "file", f"the line does not parse: {exc}")
    return out


def _read_row(row: list[str], line: int, out: ParsedEvents) -> None:
    if len(row) != len(HEADER):
        out.problem(line, "file", f"the line has {len(row)} column(s), not {len(HEADER)}")
        return
    metric, unit_id, ts_text, value_text = (c.strip() for c in row)
    ok = True
    if not metric or len(metric) > MAX_METRIC:
        out.problem(line, "metric", f"a metric's name is 1 to {MAX_METRIC} characters")
        ok = False
    if not unit_id or len(unit_id) > MAX_UNIT_ID or not unit_id.isprintable():
        out.problem(line, "unit_id", f"a unit id is 1 to {MAX_UNIT_ID} printable characters")
        ok = False
    try:
        ts = parse_timestamp(ts_text)
    except ValueError:
        out.problem(line, "ts", f"{ts_text[:40]!r} is not an ISO 8601 date and time")
        ok = False
    value: float | None = None
    if value_text:
        try:
            value = float(value_text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            out.problem(line, "value", f"{value_text[:40]!r} is not a finite number (leave it empty for none)")
            ok = False
    if ok:
        out.first_line.setdefault(metric, line)
        out.rows.append((metric, unit_id, ts, value))

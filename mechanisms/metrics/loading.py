"""Private: reading a CSV of metric values (docs/metrics.md, Data). No database: the services resolve the names.

Two shapes, told apart by the header:
- long: `date,metric,value` (one value a row);
- wide: `date,<metric name>,<metric name>...` (one row a day, one column a metric).

A UTF-8 BOM is allowed; dates are ISO (`2026-03-31`); an empty cell is a blank value (None), never 0; a number
may carry thousands separators (`"1,234.5"`, quoted in the file). Every problem of the whole file is collected
with its line and field, so one bad row is reported with all the others and nothing is loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field

from mechanisms.kernel.importing import open_csv

MAX_PROBLEMS = 100  # a file that is wrong everywhere is reported by its first hundred problems
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
LONG_HEADER = ("date", "metric", "value")


@dataclass(frozen=True, slots=True)
class Cell:
    """One value read from the file: where it was (line, column), for which metric name, day and value."""

    line: int
    column: str
    metric: str
    day: dt.date
    value: float | None


@dataclass
class Parsed:
    """The values of a file in file order, the metric names it uses, and every problem as (line, field, message)."""

    cells: list[Cell] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    shape: str = "long"

    def problem(self, line: int, column: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((line, column, message))


def parse_value(text: str) -> float | None:
    """A cell's number: '' is None (a blank); ValueError for anything that is not a finite number."""
    text = text.strip()
    if not text:
        return None
    if _GROUPED.match(text):
        text = text.replace(",", "")
    elif not _PLAIN.match(text):
        raise ValueError(f"{text[:40]!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]!r} is not a finite number")
    return value


def parse_day(text: str) -> dt.date:
    text = text.strip()
    if not _DATE.match(text):
        raise ValueError(f"{text[:40]!r} is not an ISO date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date") from None


def parse_csv(content: bytes) -> Parsed:
    """Every value of the file, or its problems (line numbers count the header as line 1)."""
    out = Parsed()
    opened = open_csv(content, out.problem)
    if opened is None:
        return out
    header, reader = opened
    if not header or not any(h.strip() for h in header):
        out.problem(1, "header", "the file is empty; the header must be date,metric,value or date,<metric>,...")
        return out
    columns = [h.strip() for h in header]
    if columns[0].lower() != "date":
        out.problem(1, "header", f"the first column must be 'date', not {columns[0][:40]!r}")
        return out
    if tuple(c.lower() for c in columns) == LONG_HEADER:
        _read_long(reader, out)
    else:
        out.shape = "wide"
        _read_wide(reader, columns, out)
    return out


def _read_long(reader, out: Parsed) -> None:
    seen: dict[tuple[str, dt.date], int] = {}
    names: dict[str, None] = {}
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) != 3:
                out.problem(line, "row", f"has {len(row)} fields; date,metric,value has 3")
                continue
            day = _day(row[0], line, out)
            name = row[1].strip()
            if not name:
                out.problem(line, "metric", "is empty; name the metric")
            value = _value(row[2], line, "value", out)
            if day is None or not name or value is _BAD:
                continue
            earlier = seen.get((name, day))
            if earlier is not None:
                out.problem(line, "date", f"{day} of {name} is also on line {earlier}")
                continue
            seen[(name, day)] = line
            names.setdefault(name)
            out.cells.append(Cell(line, "value", name, day, value))
    except csv.Error as exc:
        out.problem(line + 1, "row", f"does not parse: {exc}")
    out.names = list(names)


def _read_wide(reader, columns: list[str], out: Parsed) -> None:
    metrics = columns[1:]
    firsts: dict[str, int] = {}
    for i, name in enumerate(metrics, 2):
        if not name:
            out.problem(1, "header", f"column {i} has no metric name")
        elif name in firsts:
            out.problem(1, "header", f"the metric {name!r} is named twice (columns {firsts[name]} and {i})")
        else:
            firsts[name] = i
    if out.problems:
        return
    seen: dict[dt.date, int] = {}
    width = len(columns)
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) != width:
                out.problem(line, "row", f"has {len(row)} fields; the header has {width}")
                continue
            day = _day(row[0], line, out)
            if day is not None:
                earlier = seen.get(day)
                if earlier is not None:
                    out.problem(line, "date", f"{day} is also on line {earlier}")
                    day = None
                else:
                    seen[day] = line
            for name, cell in zip(metrics, row[1:], strict=True):
                value = _value(cell, line, name, out)
                if day is not None and value is not _BAD:
                    out.cells.append(Cell(line, name, name, day, value))
    except csv.Error as exc:
        out.problem(line + 1, "row", f"does not parse: {exc}")
    out.names = list(firsts)


_BAD = object()


def _day(text: str, line: int, out: Parsed) -> dt.date | None:
    try:
        return parse_day(text)
    except ValueError as exc:
        out.problem(line, "date", str(exc))
        return None


def _value(text: str, line: int, column: str, out: Parsed):
    try:
        return parse_value(text)
    except ValueError as exc:
        out.problem(line, column, str(exc))
        return _BAD

"""wbr-app's files (github.com/working-backwards/wbr-app): its YAML deck config and its CSV data (wide, or long with
filter metrics), translated into the metrics engine's `DeckSpec`. Pure: no Django, no database; the same
translation feeds `mech wbr build` offline and the server's import of a wbr-app deck.

Entry points: `read_deck(config_path, data_path)` (files) and `load_deck(config_text, data_lines, ...)` (text),
both returning a `WbrDeck` (the engine's `DeckSpec` plus the deck's blocks, in order, for drawing, and the warnings
about what was read but not used). Every problem with the input is a `WbrError` naming the file, the line and the
field, raised before anything is computed. The format we read is described in docs/wbr.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mechanisms.metrics.contracts import Aggregation, Comparison, DeckSpec, Operation, RowSpec, Series


class WbrError(Exception):
    """Input that cannot be read: `FILE:LINE: field: message` (line 0 when the problem is the whole file)."""

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


# ---------------------------------------------------------------------------------------------------------------
# What a deck is, besides the engine's spec: its blocks in order (for drawing) and what was read but not used.
# ---------------------------------------------------------------------------------------------------------------


class BlockKind(enum.StrEnum):
    CHART = "6_12Graph"
    WEEKS_TABLE = "6_WeeksTable"
    MONTHS_TABLE = "12_MonthsTable"
    SECTION = "section"
    EMBEDDED = "embedded_content"


# wbr-app derives three comparisons for every metric, referenced in a deck as the metric's name + suffix.
DERIVED_SUFFIXES = ("YOY", "WOW", "MOM")


@dataclass(frozen=True, slots=True)
class ChartLine:
    """One metric of a 6_12Graph block. `metric` is a row of the spec; `derived` is "" or YOY/WOW/MOM (the row's
    comparison series rather than its values)."""

    metric: str
    derived: str = ""
    line_style: str = "primary"  # primary, secondary or target (markers only, current year only)
    prior_year: bool = True
    legend: str = ""


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a 6_WeeksTable or 12_MonthsTable: a header row when `metric` is None."""

    header: str
    metric: str | None = None
    derived: str = ""
    style: str = ""
    number_format: str = ""


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    number: int  # wbr-app's block label: block_starting_number, counted up over the deck's blocks
    title: str = ""
    number_format: str = ""  # wbr-app's y_scaling, e.g. "##.2MM"
    monthly_display: str = "trailing_twelve_months"  # or "fiscal_year" (x_axis_monthly_display)
    lines: tuple[ChartLine, ...] = ()
    rows: tuple[TableRow, ...] = ()
    source: str = ""  # embedded_content: the URL (never fetched)
    height: str = ""
    width: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class WbrDeck:
    spec: DeckSpec
    blocks: tuple[Block, ...]
    week_number: int | None = None  # as the config states it (we infer our own; a difference is a warning)
    block_starting_number: int = 1
    tooltip: bool = False
    warnings: tuple[str, ...] = ()
    # The metrics the blocks draw, in block order (the spec computes every metric of the config).
    drawn: tuple[str, ...] = ()
    # `alias.Column` names of the config read as the CSV's `Column` (wbr-app's database-namespaced columns).
    mapped_columns: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------
# The YAML, with line numbers
# ---------------------------------------------------------------------------------------------------------------


class _Map(dict):
    """A YAML mapping that remembers its own line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class _Seq(list):
    line: int = 0
    item_lines: list[int]


def _yaml_loader() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    def mapping(loader: Any, node: Any) -> _Map:
        loader.flatten_mapping(node)
        result = _Map()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                key = str(key)
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def sequence(loader: Any, node: Any) -> _Seq:
        result = _Seq(loader.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)
    return Loader


def _parse_yaml(text: str, file: str) -> _Map:
    import yaml

    try:
        document = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise WbrError(file, (mark.line + 1) if mark else 0, "yaml", str(exc.problem or exc).strip()) from None
    except yaml.YAMLError as exc:
        raise WbrError(file, 0, "yaml", str(exc)) from None
    if not isinstance(document, _Map):
        raise WbrError(file, 1, "yaml", "a wbr-app config is a mapping with setup, metrics and deck")
    return document


def _line(mapping: Any, key: Any) -> int:
    if isinstance(mapping, _Map):
        return mapping.key_lines.get(key, mapping.line)
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Dates and numbers
# ---------------------------------------------------------------------------------------------------------------

MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}
MONTH_NAMES = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_DMY_NAMED = re.compile(r"^(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})[-\s/]([A-Za-z]{3,9})[-\s/](\d{4})$")
_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_ISO_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


def _month(name: str) -> int | None:
    name = name.lower()
    return MONTHS.get(name) if len(name) == 3 else MONTH_NAMES.get(name)


def parse_date(text: str) -> dt.date | None:
    """A CSV date: ISO (2020-01-05, with an optional time), "Sun, 05-Jan-2020", "05-Jan-2020", M/D/YYYY (US order,
    as pandas reads it) or YYYY/MM/DD. None when the text is none of these or not a real day."""
    text = text.strip()
    try:
        if (m := _ISO.match(text)) or (m := _ISO_SLASH.match(text)):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY_NAMED.match(text):
            month = _month(m[2])
            return dt.date(int(m[3]), month, int(m[1])) if month else None
        if m := _MDY.match(text):
            return dt.date(int(m[3]), int(m[1]), int(m[2]))
    except ValueError:
        return None
    return None


def parse_week_ending(text: Any) -> dt.date | None:
    """setup.week_ending: wbr-app's DD-MMM-YYYY (25-SEP-2021, any case); ISO dates are accepted too."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    if not isinstance(text, str):
        return None
    text = text.strip()
    if m := re.match(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$", text):
        month = _month(m[2])
        try:
            return dt.date(int(m[3]), month, int(m[1])) if month else None
        except ValueError:
            return None
    if m := re.match(r"^(\d{4})-(\d{2})-(\d{2})$", text):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


# Cells pandas' read_csv reads as missing (NaN): read here as blank (None), never as 0.
_BLANKS = frozenset({"", "nan", "NaN", "NAN", "NA", "N/A", "n/a", "#N/A", "null", "NULL", "None", "-nan", "<NA>"})
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?$|^[+-]?\.\d+(?:[eE][+-]?\d+)?$")


def parse_number(cell: str) -> float | None:
    """A CSV number: plain, or quoted with thousands separators ("523,419"); blank and NaN-like cells are None.
    Raises ValueError for anything else (text, inf, 1_000)."""
    text = cell.strip()
    if text in _BLANKS:
        return None
    if not _NUMBER.match(text):
        raise ValueError(cell)
    return float(text.replace(",", ""))


# ---------------------------------------------------------------------------------------------------------------
# Filters: a small, safe expression language (never eval)
# ---------------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![\w])|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<bq>`[^`]*`)|(?P<op>==|!=|<=|>=|<|>|&&|\|\||&|\||\(|\)|\[|\]|,|~)|(?P<name>[A-Za-z_][\w.]*))"
)

Row = list[str]
Predicate = Callable[[Row], bool]


class _FilterError(ValueError):
    pass


def _tokens(query: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    query = query.rstrip()
    while position < len(query):
        match = _TOKEN.match(query, position)
        if not match or match.end() == position:
            raise _FilterError(f"cannot read {query[position:].strip()!r}")
        kind = match.lastgroup or ""
        text = match[kind]
        if kind == "str":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        elif kind == "bq":
            kind, text = "name", text[1:-1]
        elif kind == "name" and text.lower() in ("and", "or", "not", "in", "true", "false"):
            kind, text = "op", text.lower()
        elif kind == "op":
            text = {"&&": "and", "&": "and", "||": "or", "|": "or", "~": "not"}.get(text, text)
        tokens.append((kind, text))
        position = match.end()
    return tokens


class _Literal:
    __slots__ = ("number", "text")

    def __init__(self, text: str, number: float | None) -> None:
        self.text, self.number = text, number


def _cell_number(cell: str) -> float | None:
    try:
        return parse_number(cell)
    except ValueError:
        return None


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


class _FilterParser:
    """query := or; or := and ("or" and)*; and := not ("and" not)*; not := "not" not | atom;
    atom := "(" or ")" | operand (compare operand | ["not"] "in" "[" literal ("," literal)* "]")?
    (a bare operand: a column that is true / non-empty)."""

    def __init__(self, tokens: list[tuple[str, str]], columns: Mapping[str, int]) -> None:
        self.tokens, self.at, self.columns = tokens, 0, columns
        self.used: list[str] = []

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, text: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (text is not None and token[1] != text):
            raise _FilterError(f"expected {text or 'more'} {'at the end' if token[0] == 'end' else f'at {token[1]!r}'}")
        self.at += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek()[0] != "end":
            raise _FilterError(f"unexpected {self.peek()[1]!r}")
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() == ("op", "or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.peek() == ("op", "and"):
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def negation(self) -> Predicate:
        if self.peek() == ("op", "not"):
            self.take()
            inner = self.negation()
            return lambda row: not inner(row)
        return self.atom()

    def operand(self) -> Callable[[Row], Any] | _Literal:
        kind, text = self.take()
        if kind == "name":
            if text not in self.columns:
                raise _FilterError(f"unknown column {text!r}")
            self.used.append(text)
            index = self.columns[text]
            return lambda row: row[index]
        if kind == "str":
            return _Literal(text, None)
        if kind == "num":
            return _Literal(text, float(text))
        if (kind, text) in (("op", "true"), ("op", "false")):
            return _Literal(text, 1.0 if text == "true" else 0.0)
        raise _FilterError(f"expected a column or a value at {text!r}")

    def atom(self) -> Predicate:
        if self.peek() == ("op", "("):
            self.take()
            inner = self.disjunction()
            self.take(")")
            return inner
        left = self.operand()
        kind, text = self.peek()
        if kind == "op" and text in _COMPARE:
            self.take()
            return self.comparison(left, text, self.operand())
        if (kind, text) in (("op", "in"), ("op", "not")):
            negate = text == "not"
            if negate:
                self.take()
            self.take("in")
            self.take("[")
            values = [self.operand()]
            while self.peek() == ("op", ","):
                self.take()
                values.append(self.operand())
            self.take("]")
            if not all(isinstance(v, _Literal) for v in values):
                raise _FilterError("a list after 'in' holds values, not columns")
            checks = [self.comparison(left, "==", v) for v in values]
            if negate:
                return lambda row: not any(c(row) for c in checks)
            return lambda row: any(c(row) for c in checks)
        if isinstance(left, _Literal):
            raise _FilterError(f"a value alone ({left.text!r}) is not a condition")
        get = left
        return lambda row: get(row).strip() not in _BLANKS and _cell_number(get(row)) != 0

    @staticmethod
    def comparison(left: Any, op: str, right: Any) -> Predicate:
        compare = _COMPARE[op]
        if isinstance(left, _Literal) and isinstance(right, _Literal):
            raise _FilterError("a comparison names at least one column")
        if isinstance(left, _Literal):  # value op column: turn around
            flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
            return _FilterParser.comparison(right, flipped, left)
        get = left
        if isinstance(right, _Literal):
            if right.number is not None:
                number = right.number

                def numeric(row: Row) -> bool:
                    value = _cell_number(get(row))
                    return value is not None and compare(value, number)

                return numeric
            text = right.text
            if op in ("==", "!="):
                return lambda row: compare(get(row).strip(), text)
            return lambda row: compare(get(row).strip(), text)
        other = right

        def columns(row: Row) -> bool:
            a, b = get(row), other(row)
            x, y = _cell_number(a), _cell_number(b)
            if x is not None and y is not None:
                return compare(x, y)
            return compare(a.strip(), b.strip())

        return columns


def compile_filter(query: str, columns: Mapping[str, int]) -> tuple[Predicate, tuple[str, ...]]:
    """A filter's `query` (pandas-style: `Department == 'Engineering'`, `a >= 3 and b in ['x', 'y']`, parentheses,
    not, and/or, &/|) as a predicate over a CSV row, and the columns it reads. Raises ValueError naming the problem.
    Strings compare as text; a number literal compares the cell as a number (a cell that is not one never matches)."""
    parser = _FilterParser(_tokens(query), columns)
    if not parser.tokens:
        raise _FilterError("the query is empty")
    return parser.parse(), tuple(parser.used)


# ---------------------------------------------------------------------------------------------------------------
# The config
# ---------------------------------------------------------------------------------------------------------------

_SETUP_KEYS = {"week_ending", "week_number", "title", "fiscal_year_end_month", "block_starting_number", "tooltip"}
_SETUP_IGNORED = {"db_config_url": "the data comes from the CSV named on the command line"}
_TOP_KEYS = {"setup", "metrics", "deck"}
_TOP_IGNORED = {
    "data_sources": "the data comes from the CSV; its query names only map namespaced columns",
    "annotations": "annotations are not drawn",
}
_METRIC_KEYS = {"column", "aggf", "metric_comparison_method", "filter", "function"}
_AGGREGATIONS = {a.value: a for a in Aggregation}
_OPERATIONS = {o.value: o for o in Operation}
_COMPARISONS = {
    "bps": Comparison.BPS,
    "%": Comparison.PERCENT,
    "pct": Comparison.PERCENT,
    "percent": Comparison.PERCENT,
}
_BLOCK_KEYS = {
    BlockKind.CHART: {"title", "y_scaling", "x_axis_monthly_display", "metrics"},
    BlockKind.WEEKS_TABLE: {"title", "rows", "x_axis_monthly_display"},
    BlockKind.MONTHS_TABLE: {"title", "rows", "x_axis_monthly_display"},
    BlockKind.SECTION: {"title"},
    BlockKind.EMBEDDED: {"title", "source", "height", "width"},
}
_BLOCK_IGNORED = {"y_scaling", "style"}  # presentation keys of blocks whose kind does not use them
_LINE_KEYS = {"line_style", "graph_prior_year_flag", "legend_name"}
_ROW_KEYS = {"header", "metric", "style", "y_scaling"}
_LINE_STYLES = ("primary", "secondary", "target")
_MONTHLY_DISPLAYS = ("trailing_twelve_months", "fiscal_year")


@dataclass(slots=True)
class _MetricDef:
    name: str
    line: int
    kind: str  # column, filter, function
    aggregation: Aggregation = Aggregation.SUM
    comparison: Comparison = Comparison.PERCENT
    column: str = ""  # column / filter's base_column, as the config names it
    query: str = ""
    query_line: int = 0
    operation: Operation | None = None
    operands: list[tuple[str, int]] = field(default_factory=list)  # (row name, line)
    field_path: str = ""
    hidden: bool = False  # a column operand of a function: computed, never shown


@dataclass(slots=True)
class WbrConfig:
    """A config read and checked on its own (before the CSV): what the CSV must then provide."""

    file: str
    week_ending: dt.date
    week_ending_line: int
    title: str
    week_number: int | None
    fiscal_year_end_month: int
    block_starting_number: int
    tooltip: bool
    metrics: dict[str, _MetricDef]
    order: list[str]  # operands before the metrics computed from them
    blocks: list[Block]
    aliases: set[str]
    warnings: list[str]


def _warn(config_warnings: list[str], file: str, line: int, field: str, message: str) -> None:
    config_warnings.append(f"{file}:{line}: {field}: {message}")


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def load_config(text: str, *, file: str = "config.yaml", week_ending: dt.date | None = None) -> WbrConfig:
    """Read and check a wbr-app YAML config; `week_ending` overrides setup.week_ending. Raises WbrError."""
    document = _parse_yaml(text, file)
    warnings: list[str] = []
    for key in document:
        if key in _TOP_IGNORED:
            _warn(warnings, file, _line(document, key), str(key), f"ignored: {_TOP_IGNORED[key]}")
        elif key not in _TOP_KEYS:
            _warn(warnings, file, _line(document, key), str(key), "unknown key, ignored")

    setup = document.get("setup")
    if not isinstance(setup, _Map):
        raise WbrError(file, _line(document, "setup"), "setup", "the config needs a setup: mapping with week_ending")
    for key in setup:
        if key in _SETUP_IGNORED:
            _warn(warnings, file, _line(setup, key), f"setup.{key}", f"ignored: {_SETUP_IGNORED[key]}")
        elif key not in _SETUP_KEYS:
            _warn(warnings, file, _line(setup, key), f"setup.{key}", "unknown key, ignored")
    if week_ending is None:
        if "week_ending" not in setup:
            raise WbrError(file, setup.line, "setup.week_ending", "missing (the last day of the deck's week)")
        week_ending = parse_week_ending(setup["week_ending"])
        if week_ending is None:
            raise WbrError(
                file,
                _line(setup, "week_ending"),
                "setup.week_ending",
                f"{_str(setup['week_ending'])!r} is not a date like 25-SEP-2021",
            )
    week_number = setup.get("week_number")
    if week_number is not None and (
        isinstance(week_number, bool) or not isinstance(week_number, int) or not 1 <= week_number <= 53
    ):
        raise WbrError(file, _line(setup, "week_number"), "setup.week_number", f"{week_number!r} is not 1 to 53")
    fiscal = setup.get("fiscal_year_end_month", "DEC")
    fiscal_month = (
        fiscal
        if isinstance(fiscal, int) and not isinstance(fiscal, bool) and 1 <= fiscal <= 12
        else (_month(fiscal.strip()) if isinstance(fiscal, str) else None)
    )
    if fiscal_month is None:
        raise WbrError(
            file,
            _line(setup, "fiscal_year_end_month"),
            "setup.fiscal_year_end_month",
            f"{_str(fiscal)!r} is not a month like DEC",
        )
    start_number = setup.get("block_starting_number", 1)
    if isinstance(start_number, bool) or not isinstance(start_number, int):
        raise WbrError(
            file,
            _line(setup, "block_starting_number"),
            "setup.block_starting_number",
            f"{start_number!r} is not a whole number",
        )
    tooltip = setup.get("tooltip", False)
    if not isinstance(tooltip, bool):
        raise WbrError(file, _line(setup, "tooltip"), "setup.tooltip", f"{tooltip!r} is not true or false")

    aliases: set[str] = set()
    sources = document.get("data_sources")
    if isinstance(sources, dict):
        for connection in sources.values():
            if isinstance(connection, dict):
                aliases.update(str(k) for k in connection if k != "queries")
                queries = connection.get("queries")
                if isinstance(queries, dict):
                    aliases.update(str(k) for k in queries)

    metrics = _read_metrics(document, file, warnings)
    order = _order(metrics, file)
    blocks = _read_deck(document, metrics, file, start_number, warnings)
    return WbrConfig(
        file=file,
        week_ending=week_ending,
        week_ending_line=_line(setup, "week_ending"),
        title=_str(setup.get("title")),
        week_number=week_number,
        fiscal_year_end_month=fiscal_month,
        block_starting_number=start_number,
        tooltip=tooltip,
        metrics=metrics,
        order=order,
        blocks=blocks,
        aliases=aliases,
        warnings=warnings,
    )


def _read_metrics(document: _Map, file: str, warnings: list[str]) -> dict[str, _MetricDef]:
    section = document.get("metrics")
    if not isinstance(section, _Map) or not section:
        raise WbrError(file, _line(document, "metrics"), "metrics", "the config needs a metrics: mapping")
    metrics: dict[str, _MetricDef] = {}
    for raw_name, body in section.items():
        name = str(raw_name)
        line = _line(section, raw_name)
        path = f"metrics.{name}"
        if not isinstance(body, _Map):
            raise WbrError(file, line, path, "a metric is a mapping (column, filter or function, and aggf)")
        for key in body:
            if key not in _METRIC_KEYS:
                _warn(warnings, file, _line(body, key), f"{path}.{key}", "unknown key, ignored")
        kinds = [k for k in ("column", "filter", "function") if k in body]
        if len(kinds) != 1:
            raise WbrError(
                file,
                line,
                path,
                "name exactly one of column, filter or function" + (f" (not {' and '.join(kinds)})" if kinds else ""),
            )
        metric = _MetricDef(name=name, line=line, kind=kinds[0], field_path=path)
        method = body.get("metric_comparison_method")
        if method is not None:
            comparison = _COMPARISONS.get(_str(method).strip().lower())
            if comparison is None:
                raise WbrError(
                    file,
                    _line(body, "metric_comparison_method"),
                    f"{path}.metric_comparison_method",
                    f"{_str(method)!r} is not bps or %",
                )
            metric.comparison = comparison
        if metric.kind != "function":
            if "aggf" not in body:
                raise WbrError(file, line, f"{path}.aggf", "missing (sum, mean, min, max or last)")
            aggregation = _AGGREGATIONS.get(_str(body["aggf"]).strip().lower())
            if aggregation is None:
                raise WbrError(
                    file,
                    _line(body, "aggf"),
                    f"{path}.aggf",
                    f"{_str(body['aggf'])!r} is not sum, mean, min, max or last",
                )
            metric.aggregation = aggregation
        if metric.kind == "column":
            column = body["column"]
            if not isinstance(column, str | int | float) or not _str(column).strip():
                raise WbrError(file, _line(body, "column"), f"{path}.column", "names the CSV column to read")
            metric.column = _str(column)
        elif metric.kind == "filter":
            spec = body["filter"]
            fline = _line(body, "filter")
            if not isinstance(spec, _Map):
                raise WbrError(file, fline, f"{path}.filter", "a filter has base_column and query")
            for key in spec:
                if key not in ("base_column", "query"):
                    _warn(warnings, file, _line(spec, key), f"{path}.filter.{key}", "unknown key, ignored")
            if not _str(spec.get("base_column")).strip():
                raise WbrError(file, fline, f"{path}.filter.base_column", "missing (the column to aggregate)")
            if not isinstance(spec.get("query"), str) or not spec["query"].strip():
                raise WbrError(file, fline, f"{path}.filter.query", "missing (e.g. Department == 'Sales')")
            metric.column = _str(spec["base_column"])
            metric.query, metric.query_line = spec["query"], _line(spec, "query")
            try:  # the syntax now; the columns it names once the CSV's header is known
                _tokens(metric.query)
            except _FilterError as exc:
                raise WbrError(file, metric.query_line, f"{path}.filter.query", str(exc)) from None
        else:
            _read_function(body, metric, metrics, file, warnings)
        if name in metrics:
            raise WbrError(file, line, path, f"defined twice (first at line {metrics[name].line})")
        metrics[name] = metric
    # Nested definitions were added while reading; every operand must now name a metric.
    for metric in list(metrics.values()):
        for operand, oline in metric.operands:
            if operand not in metrics:
                raise WbrError(file, oline, f"{metric.field_path}.function", f"unknown metric {operand!r}")
    return metrics


def _read_function(
    body: _Map, metric: _MetricDef, metrics: dict[str, _MetricDef], file: str, warnings: list[str]
) -> None:
    spec = body["function"]
    path = f"{metric.field_path}.function"
    fline = _line(body, "function")
    if not isinstance(spec, _Map) or len(spec) != 1:
        raise WbrError(file, fline, path, "a function is one of divide, sum, difference or product with its operands")
    op_name = next(iter(spec))
    operation = _OPERATIONS.get(_str(op_name).strip().lower())
    if operation is None:
        raise WbrError(file, _line(spec, op_name), path, f"{op_name!r} is not divide, sum, difference or product")
    items = spec[op_name]
    if not isinstance(items, _Seq):
        raise WbrError(file, _line(spec, op_name), f"{path}.{op_name}", "lists the operands (- metric: {name: ...})")
    if operation in (Operation.DIVIDE, Operation.DIFFERENCE) and len(items) != 2:
        raise WbrError(file, items.line, f"{path}.{op_name}", f"takes exactly 2 operands, not {len(items)}")
    if len(items) < 1:
        raise WbrError(file, items.line, f"{path}.{op_name}", "needs operands")
    metric.operation = operation
    for item, iline in zip(items, items.item_lines, strict=True):
        if not isinstance(item, _Map) or len(item) != 1 or next(iter(item)) not in ("metric", "column"):
            raise WbrError(file, iline, f"{path}.{op_name}", "an operand is - metric: {name: ...} or - column: ...")
        which = next(iter(item))
        ref = item[which]
        if isinstance(ref, str):
            ref = {"name": ref}
        if not isinstance(ref, dict) or not _str(ref.get("name")).strip():
            raise WbrError(file, iline, f"{path}.{op_name}.{which}", "names the operand (name: ...)")
        ref_name = _str(ref["name"])
        if which == "column":  # a column read as a sum, computed but not shown
            hidden = ref_name if ref_name not in metrics else f"{ref_name} (column)"
            if hidden not in metrics:
                metrics[hidden] = _MetricDef(
                    name=hidden,
                    line=iline,
                    kind="column",
                    column=ref_name,
                    field_path=f"{path}.{op_name}.column",
                    hidden=True,
                )
            metric.operands.append((hidden, iline))
            continue
        if "function" in ref:  # a nested definition: the named metric is defined here
            if ref_name in metrics:
                raise WbrError(file, iline, f"{path}.{op_name}.metric", f"{ref_name!r} is already defined")
            nested = _MetricDef(name=ref_name, line=iline, kind="function", field_path=f"metrics.{ref_name}")
            _read_function(ref if isinstance(ref, _Map) else _Map(ref), nested, metrics, file, warnings)
            metrics[ref_name] = nested
        metric.operands.append((ref_name, iline))


def _order(metrics: dict[str, _MetricDef], file: str) -> list[str]:
    """The metrics with every operand before the function metrics computed from it (config order otherwise);
    a cycle between function metrics is refused, naming the cycle."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name) :] + [name]
            first = metrics[cycle[0]]
            raise WbrError(file, first.line, f"{first.field_path}.function", "cycle: " + " -> ".join(cycle))
        state[name] = 1
        for operand, _ in metrics[name].operands:
            visit(operand, [*path, name])
        state[name] = 2
        order.append(name)

    for name in metrics:
        visit(name, [])
    return order


def _derived(name: str, metrics: Mapping[str, _MetricDef]) -> tuple[str, str] | None:
    """A deck's metric reference: (metric, "") or (metric, "YOY"/"WOW"/"MOM"), or None when unknown."""
    if name in metrics:
        return name, ""
    for suffix in DERIVED_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in metrics:
            return name[: -len(suffix)], suffix
    return None


def _read_deck(
    document: _Map, metrics: dict[str, _MetricDef], file: str, start_number: int, warnings: list[str]
) -> list[Block]:
    blocks: list[Block] = []
    deck = document.get("deck")
    if deck is None:
        _warn(warnings, file, 0, "deck", "no deck: every metric is drawn in config order")
        return blocks
    if not isinstance(deck, _Seq):
        raise WbrError(file, _line(document, "deck"), "deck", "a deck is a list of - block: ...")
    for index, (item, iline) in enumerate(zip(deck, deck.item_lines, strict=True)):
        path = f"deck[{index}]"
        if not isinstance(item, _Map) or "block" not in item or not isinstance(item["block"], _Map):
            raise WbrError(file, iline, path, "each deck entry is - block: {ui_type: ..., ...}")
        body = item["block"]
        bline = body.line
        raw_kind = _str(body.get("ui_type")).strip()
        try:
            kind = BlockKind(raw_kind)
        except ValueError:
            _warn(
                warnings,
                file,
                _line(body, "ui_type"),
                f"{path}.ui_type",
                f"{raw_kind!r} is not a block we draw (6_12Graph, 6_WeeksTable, 12_MonthsTable, section, "
                "embedded_content); skipped",
            )
            continue
        for key in body:
            if key == "ui_type" or key in _BLOCK_KEYS[kind]:
                continue
            message = "not used by this kind of block, ignored" if key in _BLOCK_IGNORED else "unknown key, ignored"
            _warn(warnings, file, _line(body, key), f"{path}.{key}", message)
        display = _str(body.get("x_axis_monthly_display") or "trailing_twelve_months").strip()
        if display not in _MONTHLY_DISPLAYS:
            raise WbrError(
                file,
                _line(body, "x_axis_monthly_display"),
                f"{path}.x_axis_monthly_display",
                f"{display!r} is not trailing_twelve_months or fiscal_year",
            )
        if display == "fiscal_year":
            _warn(
                warnings,
                file,
                _line(body, "x_axis_monthly_display"),
                f"{path}.x_axis_monthly_display",
                "fiscal_year is drawn as the trailing twelve months (the engine computes those)",
            )
        lines: list[ChartLine] = []
        rows: list[TableRow] = []
        if kind is BlockKind.CHART:
            chart_metrics = body.get("metrics")
            if not isinstance(chart_metrics, _Map) or not chart_metrics:
                raise WbrError(file, bline, f"{path}.metrics", "a 6_12Graph names at least one metric")
            for ref, options in chart_metrics.items():
                mline = _line(chart_metrics, ref)
                resolved = _derived(str(ref), metrics)
                if resolved is None:
                    raise WbrError(file, mline, f"{path}.metrics", f"unknown metric {str(ref)!r}")
                options = options if isinstance(options, _Map) else _Map()
                for key in options:
                    if key not in _LINE_KEYS:
                        _warn(
                            warnings, file, _line(options, key), f"{path}.metrics.{ref}.{key}", "unknown key, ignored"
                        )
                style = _str(options.get("line_style") or "primary").strip()
                if style not in _LINE_STYLES:
                    raise WbrError(
                        file,
                        _line(options, "line_style"),
                        f"{path}.metrics.{ref}.line_style",
                        f"{style!r} is not primary, secondary or target",
                    )
                prior = options.get("graph_prior_year_flag", style != "target")
                if not isinstance(prior, bool):
                    raise WbrError(
                        file,
                        _line(options, "graph_prior_year_flag"),
                        f"{path}.metrics.{ref}.graph_prior_year_flag",
                        f"{prior!r} is not true or false",
                    )
                lines.append(
                    ChartLine(
                        metric=resolved[0],
                        derived=resolved[1],
                        line_style=style,
                        prior_year=prior,
                        legend=_str(options.get("legend_name")),
                    )
                )
        elif kind in (BlockKind.WEEKS_TABLE, BlockKind.MONTHS_TABLE):
            table_rows = body.get("rows")
            if not isinstance(table_rows, _Seq):
                raise WbrError(file, bline, f"{path}.rows", "a table lists its rows (- row: {header: ...})")
            for row_item, rline in zip(table_rows, table_rows.item_lines, strict=True):
                row = row_item.get("row") if isinstance(row_item, _Map) else None
                if not isinstance(row, _Map):
                    raise WbrError(file, rline, f"{path}.rows", "each row is - row: {header: ..., metric: ...}")
                for key in row:
                    if key not in _ROW_KEYS:
                        _warn(warnings, file, _line(row, key), f"{path}.rows.{key}", "unknown key, ignored")
                ref = row.get("metric")
                resolved = None
                if ref is not None:
                    resolved = _derived(str(ref), metrics)
                    if resolved is None:
                        raise WbrError(
                            file, _line(row, "metric"), f"{path}.rows.metric", f"unknown metric {str(ref)!r}"
                        )
                rows.append(
                    TableRow(
                        header=_str(row.get("header")),
                        metric=resolved[0] if resolved else None,
                        derived=resolved[1] if resolved else "",
                        style=_str(row.get("style")),
                        number_format=_str(row.get("y_scaling")),
                    )
                )
        blocks.append(
            Block(
                kind=kind,
                number=start_number + len(blocks),
                title=_str(body.get("title")),
                number_format=_str(body.get("y_scaling")),
                monthly_display=display,
                lines=tuple(lines),
                rows=tuple(rows),
                source=_str(body.get("source")),
                height=_str(body.get("height")),
                width=_str(body.get("width")),
                line=bline,
            )
        )
    return blocks


# ---------------------------------------------------------------------------------------------------------------
# The CSV
# ---------------------------------------------------------------------------------------------------------------


def _combine(values: list[float | None], aggregation: Aggregation) -> float | None:
    """Several rows of one day (a long file): combined as wbr-app does before resampling (pandas' groupby: blanks
    skipped, all-blank is blank)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if aggregation is Aggregation.SUM:
        return sum(present)
    if aggregation is Aggregation.MEAN:
        return sum(present) / len(present)
    if aggregation is Aggregation.MIN:
        return min(present)
    if aggregation is Aggregation.MAX:
        return max(present)
    return present[-1]


def _numbers(cells: tuple[str, ...], name: str, lines_of: list[int], file: str) -> list[float | None]:
    """One column's cells as numbers, fast when the column holds plain numbers, blanks and thousands separators
    (dropped wherever they are, as pandas' thousands=","); cell by cell otherwise (NaN-like cells, spaces, and the
    cell that is no number, reported with its line)."""
    joined = "".join(cells)
    if "_" not in joined:  # float() reads 1_000; a CSV number never has one
        plain = [c.replace(",", "") for c in cells] if "," in joined else cells
        try:
            values: list[float | None] = [float(c) if c else None for c in plain]
        except ValueError:
            pass
        else:
            if all(map(math.isfinite, filter(None, values))):  # type: ignore[arg-type]
                return values
    values = []
    for row_number, cell in enumerate(cells):
        try:
            values.append(parse_number(cell))
        except ValueError:
            raise WbrError(file, lines_of[row_number], name, f"{cell!r} is not a number") from None
    return values


def load_data(
    lines: Iterable[str], config: WbrConfig, *, file: str = "data.csv"
) -> tuple[dict[str, Series], dict[str, str]]:
    """Read the CSV against a checked config: each metric's series (by metric name) and the namespaced column
    names that were mapped. All or nothing: the first unreadable row raises WbrError with its line and column."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise WbrError(file, 1, "Date", "the file is empty (a header row with Date is needed)") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise WbrError(file, 1, "header", str(exc)) from None
    header = [h.strip() for h in header]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in columns:
            raise WbrError(file, 1, name, f"column named twice (columns {columns[name] + 1} and {index + 1})")
        columns[name] = index
    if "Date" not in columns:
        raise WbrError(file, 1, "Date", "no Date column in the header")

    mapped: dict[str, str] = {}

    def resolve(name: str, metric: _MetricDef, where: str, line: int) -> int:
        if name in columns:
            return columns[name]
        alias, dot, rest = name.partition(".")
        if dot and rest in columns and (not config.aliases or alias in config.aliases):
            mapped[name] = rest
            return columns[rest]
        raise WbrError(config.file, line, where, f"unknown column {name!r} (the CSV has {', '.join(header)})")

    needed: dict[int, str] = {}
    plan: list[tuple[_MetricDef, int, Predicate | None]] = []
    for metric in config.metrics.values():
        if metric.kind == "function":
            continue
        where = f"{metric.field_path}.filter.base_column" if metric.kind == "filter" else f"{metric.field_path}.column"
        index = resolve(metric.column, metric, where, metric.line)
        needed[index] = header[index]
        predicate = None
        if metric.kind == "filter":
            try:
                predicate, _ = compile_filter(metric.query, columns)
            except _FilterError as exc:
                raise WbrError(config.file, metric.query_line, f"{metric.field_path}.filter.query", str(exc)) from None
        plan.append((metric, index, predicate))

    date_index = columns["Date"]
    width = len(header)
    rows: list[list[str]] = []
    lines_of: list[int] = []
    seen: dict[str, dt.date] = {}
    days: list[dt.date] = []
    try:
        for row in reader:
            if len(row) != width:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # an empty line
                raise WbrError(file, reader.line_num, "row", f"{len(row)} fields where the header has {width}")
            text = row[date_index]
            day = seen.get(text)
            if day is None:
                day = parse_date(text)
                if day is None:
                    raise WbrError(file, reader.line_num, "Date", f"{text!r} is not a date")
                seen[text] = day
            rows.append(row)
            days.append(day)
            lines_of.append(reader.line_num)
    except csv.Error as exc:
        raise WbrError(file, reader.line_num, "row", str(exc)) from None
    except UnicodeDecodeError as exc:
        raise WbrError(file, reader.line_num + 1, "row", f"not UTF-8 text ({exc.reason})") from None

    cells_of = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    parsed: dict[int, list[float | None]] = {}
    for index, name in needed.items():
        parsed[index] = _numbers(cells_of[index], name, lines_of, file)

    unique = len(set(days)) == len(days)
    series: dict[str, Series] = {}
    shared: dict[int, Series] = {}
    for metric, index, predicate in plan:
        values = parsed[index]
        if predicate is None and unique:
            if index not in shared:
                shared[index] = Series(values=dict(zip(days, values, strict=True)))
            series[metric.name] = shared[index]
            continue
        grouped: dict[dt.date, list[float | None]] = {day: [] for day in days}
        for row, day, value in zip(rows, days, values, strict=True):
            if predicate is None or predicate(row):
                grouped[day].append(value)
        # A day of the file with no matching row is blank (wbr-app: NaN), never 0.
        series[metric.name] = Series(values={day: _combine(v, metric.aggregation) for day, v in grouped.items()})
    return series, mapped


# ---------------------------------------------------------------------------------------------------------------
# The deck
# ---------------------------------------------------------------------------------------------------------------


def _presentation(config: WbrConfig) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """The metrics the deck's blocks draw, in block order, and each one's label and number format: from the first
    block that shows it (a one-metric chart's title, else its legend name; the chart's or row's y_scaling)."""
    drawn: list[str] = []
    labels: dict[str, str] = {}
    formats: dict[str, str] = {}
    for block in config.blocks:
        for line in block.lines:
            if line.derived:
                continue
            if line.metric not in labels:
                labels[line.metric] = block.title if len(block.lines) == 1 and block.title else line.legend
                formats[line.metric] = block.number_format
        for row in block.rows:
            if row.metric and not row.derived and row.metric not in formats:
                formats[row.metric] = row.number_format
        for name in [*(line.metric for line in block.lines), *(row.metric for row in block.rows if row.metric)]:
            if name not in drawn:
                drawn.append(name)
    return drawn, labels, formats


def deck_spec(config: WbrConfig, series: Mapping[str, Series], warnings: list[str] | None = None) -> DeckSpec:
    """The engine's spec: one row per metric of the config (the deck's in block order first, then the others);
    the column operands of functions are computed, not shown. The week number is left to the engine to infer."""
    from mechanisms.metrics.charts import validate_number_format

    drawn, labels, formats = _presentation(config)
    order = drawn + [n for n in config.order if n not in drawn]
    rows = []
    for name in order:
        metric = config.metrics[name]
        number_format = formats.get(name, "")
        try:
            validate_number_format(number_format)
        except ValueError:
            if warnings is not None:
                warnings.append(f"{config.file}: {name}: y_scaling {number_format!r} is not one we draw; automatic")
            number_format = ""
        rows.append(
            RowSpec(
                name=name,
                label=labels.get(name) or name,
                aggregation=metric.aggregation,
                comparison=metric.comparison,
                operation=metric.operation,
                operands=tuple(o for o, _ in metric.operands),
                number_format=number_format,
                shown=not metric.hidden,
            )
        )
    return DeckSpec(
        week_ending=config.week_ending,
        rows=tuple(rows),
        series=dict(series),
        fiscal_year_end_month=config.fiscal_year_end_month,
        title=config.title,
    )


def load_deck(
    config_text: str,
    data_lines: Iterable[str],
    *,
    config_file: str = "config.yaml",
    data_file: str = "data.csv",
    week_ending: dt.date | None = None,
) -> WbrDeck:
    """A wbr-app config (text) and its CSV (lines) as a deck: config first (so a bad config is reported without
    reading the data), then the data. Raises WbrError; nothing is computed here."""
    config = load_config(config_text, file=config_file, week_ending=week_ending)
    series, mapped = load_data(data_lines, config, file=data_file)
    warnings = list(config.warnings)
    if mapped:
        names = ", ".join(f"{name} as {column}" for name, column in sorted(mapped.items()))
        warnings.append(f"{config_file}: namespaced columns read as the CSV's plain columns: {names}")
    drawn, _, _ = _presentation(config)
    drawn = drawn or [n for n in config.order if not config.metrics[n].hidden]
    return WbrDeck(
        spec=deck_spec(config, series, warnings),
        blocks=tuple(config.blocks),
        drawn=tuple(drawn),
        week_number=config.week_number,
        block_starting_number=config.block_starting_number,
        tooltip=config.tooltip,
        warnings=tuple(warnings),
        mapped_columns=mapped,
    )


def _lines(path: Path, file: str) -> Iterator[str]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise WbrError(file, 0, "file", exc.strerror or str(exc)) from None
    with handle:
        yield from handle


def read_deck(config_path: str | Path, data_path: str | Path, *, week_ending: dt.date | None = None) -> WbrDeck:
    """`load_deck` over files (the CSV may start with a UTF-8 BOM)."""
    config_path, data_path = Path(config_path), Path(data_path)
    try:
        text = config_path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise WbrError(str(config_path), 0, "file", exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise WbrError(str(config_path), 0, "file", f"not UTF-8 text ({exc.reason})") from None
    return load_deck(
        text,
        _lines(data_path, str(data_path)),
        config_file=str(config_path),
        data_file=str(data_path),
        week_ending=week_ending,
    )

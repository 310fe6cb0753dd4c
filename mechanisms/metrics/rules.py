"""Pure rules of the metrics app (no ORM, no Django): the Weekly Business Review's period arithmetic and the deck
engine, the completeness check and the exceptions rule. The server feeds them from the database; `mech wbr build`
feeds them from wbr-app's files (interop/wbr.py), with the same code and the same results (DESIGN.md §3).

The engine's entry point is `build_deck(spec: DeckSpec) -> DeckResult`; `deck_to_dict` turns a result into JSON.
The definitions (which days each figure covers, and where we deliberately differ from wbr-app) are in docs/wbr.md,
"Definitions".

How it stays fast: the deck's periods (6 + 6 weeks, 12 + 12 months, MTD/QTD/YTD and their prior year, the 26
look-back weeks of the exceptions rule) are worked out once per deck as index ranges into one dense array of days
(and one of week endings for weekly series); each series is laid into that array in one pass, a prefix count of its
missing and blank days says in O(1) whether a period is complete, and each complete period is one `math.fsum` (or
min/max) over a list slice.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from .contracts import (
    Aggregation,
    Box,
    Comparison,
    DeckResult,
    DeckSpec,
    Direction,
    Gap,
    Grain,
    Operation,
    Period,
    PlanValue,
    RowResult,
    RowSpec,
    Series,
)

__all__ = [
    "EXCEPTION_LOOKBACK_WEEKS",
    "EXCEPTION_MIN_WEEKS",
    "EXCEPTION_SIGMAS",
    "PY_WEEK_OFFSET_DAYS",
    "DeckSpecError",
    "aggregate",
    "build_deck",
    "combine",
    "compare",
    "deck_to_dict",
    "evaluation_order",
    "fiscal_quarter_end",
    "fiscal_quarter_start",
    "fiscal_year_end",
    "fiscal_year_start",
    "is_month_end",
    "month_end",
    "month_start",
    "period_bounds",
    "period_figure",
    "period_gap",
    "shift_months",
    "to_date_bounds",
    "week_number",
    "week_start",
    "year_earlier",
]

PY_WEEK_OFFSET_DAYS = 364  # a week's prior-year week ends 52 weeks earlier, on the same weekday
NUM_WEEKS = 6
NUM_MONTHS = 12
# The exceptions rule (docs/wbr.md): last week outside mean +- 3 sample standard deviations of the weekly figures of
# the 26 weeks before it, judged only when at least 8 of those weeks are complete.
EXCEPTION_LOOKBACK_WEEKS = 26
EXCEPTION_SIGMAS = 3.0
EXCEPTION_MIN_WEEKS = 8
BPS = 10_000.0
PCT = 100.0


class DeckSpecError(ValueError):
    """A deck spec the engine cannot compute (unknown operand, a cycle between function rows, a duplicate row, a
    bad fiscal year end). The readers refuse these first with the file and line; this is the engine's own guard."""

    def __init__(self, message: str, *, row: str = "", field: str = "") -> None:
        super().__init__(message)
        self.row = row
        self.field = field


# ---------------------------------------------------------------------------------------------------------------
# Period arithmetic (exported: goals' progress and the data completeness check use the same boundaries)
# ---------------------------------------------------------------------------------------------------------------


def _check_fyem(fiscal_year_end_month: int) -> None:
    if not isinstance(fiscal_year_end_month, int) or not 1 <= fiscal_year_end_month <= 12:
        raise DeckSpecError(
            f"fiscal_year_end_month must be a month number 1-12, not {fiscal_year_end_month!r}",
            field="fiscal_year_end_month",
        )


def week_ending_by(day: dt.date, week_ends_on: int) -> dt.date:
    """The last day of the last week (ending on weekday `week_ends_on`, 0 Monday .. 6 Sunday) ending on or before
    `day`."""
    return day - dt.timedelta(days=(day.weekday() - week_ends_on) % 7)


def last_ended_week(today: dt.date, week_ends_on: int) -> dt.date:
    """The last day of the last week that has ended by `today` (a week ending today has not ended yet)."""
    return week_ending_by(today - dt.timedelta(days=1), week_ends_on)


def month_start(day: dt.date) -> dt.date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def shift_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` away from `day`'s month (negative: earlier)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def year_earlier(day: dt.date, years: int = 1) -> dt.date:
    """The same date `years` calendar years earlier; 29 February becomes 28 February in a year without one (as
    wbr-app's `relativedelta(years=1)`)."""
    year = day.year - years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return day.replace(year=year)


def fiscal_year_start(day: dt.date, fiscal_year_end_month: int = 12) -> dt.date:
    """The first day of the fiscal year containing `day` (the fiscal year ends on the last day of
    `fiscal_year_end_month`, so it starts on the first day of the month after)."""
    _check_fyem(fiscal_year_end_month)
    start_month = fiscal_year_end_month % 12 + 1
    year = day.year if day.month >= start_month else day.year - 1
    return dt.date(year, start_month, 1)


def fiscal_year_end(day: dt.date, fiscal_year_end_month: int = 12) -> dt.date:
    """The last day of the fiscal year containing `day`."""
    return shift_months(fiscal_year_start(day, fiscal_year_end_month), 12) - dt.timedelta(days=1)


def fiscal_quarter_start(day: dt.date, fiscal_year_end_month: int = 12) -> dt.date:
    """The first day of the fiscal quarter containing `day` (quarters are the fiscal year's months in threes)."""
    year_start = fiscal_year_start(day, fiscal_year_end_month)
    months_in = (day.year - year_start.year) * 12 + day.month - year_start.month
    return shift_months(year_start, months_in - months_in % 3)


def fiscal_quarter_end(day: dt.date, fiscal_year_end_month: int = 12) -> dt.date:
    """The last day of the fiscal quarter containing `day`."""
    return shift_months(fiscal_quarter_start(day, fiscal_year_end_month), 3) - dt.timedelta(days=1)


def week_start(week_ending: dt.date) -> dt.date:
    """The first of the 7 days of the week ending `week_ending`."""
    return week_ending - dt.timedelta(days=6)


def week_number(week_ending: dt.date, fiscal_year_end_month: int = 12) -> int:
    """The week of the fiscal year of the 7-day week ending `week_ending` (1-53). A week belongs to the fiscal year
    holding its middle (4th) day, and week 1 is the first week whose middle day is in the fiscal year: ISO 8601's
    rule generalised to a week ending on any weekday and to any fiscal year (a Sunday week ending with a December
    year end gives exactly the ISO week number). wbr-app takes the number from its config (sample 1: 38 for
    Saturday 25-Sep-2021, which this rule infers)."""
    middle = week_ending - dt.timedelta(days=3)
    return (middle - fiscal_year_start(middle, fiscal_year_end_month)).days // 7 + 1


def period_bounds(period: Period, day: dt.date, fiscal_year_end_month: int = 12) -> tuple[dt.date, dt.date]:
    """The first and last day of the period of kind `period` containing `day`; for WEEK, `day` is the week's last
    day (weeks end on the deck's week-ending weekday)."""
    period = Period(period)
    if period is Period.WEEK:
        return week_start(day), day
    if period is Period.MONTH:
        return month_start(day), month_end(day)
    if period is Period.QUARTER:
        return fiscal_quarter_start(day, fiscal_year_end_month), fiscal_quarter_end(day, fiscal_year_end_month)
    return fiscal_year_start(day, fiscal_year_end_month), fiscal_year_end(day, fiscal_year_end_month)


def to_date_bounds(period: Period, day: dt.date, fiscal_year_end_month: int = 12) -> tuple[dt.date, dt.date]:
    """The period of kind `period` containing `day`, cut at `day` (WEEK: the week ending `day`; MONTH: month to
    date; QUARTER: quarter to date; YEAR: year to date)."""
    return period_bounds(period, day, fiscal_year_end_month)[0], day


# ---------------------------------------------------------------------------------------------------------------
# Figures: aggregation, comparison, function rows
# ---------------------------------------------------------------------------------------------------------------


def aggregate(values: Sequence[float], aggregation: Aggregation) -> float | None:
    """A period's figure from its values (all present: the caller has checked completeness); None when empty."""
    if not values:
        return None
    if aggregation is Aggregation.SUM:
        return math.fsum(values)
    if aggregation is Aggregation.MEAN:
        return math.fsum(values) / len(values)
    if aggregation is Aggregation.MIN:
        return float(min(values))
    if aggregation is Aggregation.MAX:
        return float(max(values))
    return float(values[-1])  # LAST


def compare(cy: float | None, py: float | None, comparison: Comparison) -> float | None:
    """wbr-app's comparison: percent = (cy / py - 1) x 100, bps = (cy - py) x 10,000; None when a side is not
    available, or (percent) when py is 0."""
    if cy is None or py is None:
        return None
    if comparison is Comparison.BPS:
        return (cy - py) * BPS
    if py == 0:
        return None
    return (cy / py - 1) * PCT


def combine(operation: Operation, figures: Sequence[float | None]) -> float | None:
    """A function row's figure for one period from its operands' figures for that period: DIVIDE a / b (a ratio of
    period figures, e.g. of period sums), SUM a + b + ..., DIFFERENCE a - b - ..., PRODUCT a x b x ...; None when
    any operand is not available, or when dividing by 0."""
    if not figures or any(f is None for f in figures):
        return None
    if operation is Operation.DIVIDE:
        a, b = figures
        return None if b == 0 else a / b
    if operation is Operation.SUM:
        return math.fsum(figures)
    if operation is Operation.DIFFERENCE:
        return figures[0] - math.fsum(figures[1:])
    product = 1.0
    for f in figures:
        product *= f
    return product


def evaluation_order(rows: Sequence[RowSpec]) -> list[RowSpec]:
    """The rows in an order where every function row comes after its operands (a stable topological order). Refuses
    duplicate names, unknown operands, a wrong operand count and cycles (DeckSpecError)."""
    by_name: dict[str, RowSpec] = {}
    for row in rows:
        if row.name in by_name:
            raise DeckSpecError(f"two rows are named {row.name!r}", row=row.name, field="name")
        by_name[row.name] = row
        if row.operation is not None:
            operation = Operation(row.operation)
            if not row.operands:
                raise DeckSpecError(f"function row {row.name!r} has no operands", row=row.name, field="operands")
            if operation is Operation.DIVIDE and len(row.operands) != 2:
                raise DeckSpecError(
                    f"divide row {row.name!r} needs exactly 2 operands, has {len(row.operands)}",
                    row=row.name,
                    field="operands",
                )
    for row in rows:
        for operand in row.operands if row.operation is not None else ():
            if operand not in by_name:
                raise DeckSpecError(
                    f"row {row.name!r} names an unknown row {operand!r}", row=row.name, field="operands"
                )
    order: list[RowSpec] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: tuple[str, ...]) -> None:
        mark = state.get(name)
        if mark == 2:
            return
        if mark == 1:
            cycle = " -> ".join((*path[path.index(name) :], name))
            raise DeckSpecError(f"function rows form a cycle: {cycle}", row=name, field="operands")
        state[name] = 1
        row = by_name[name]
        for operand in row.operands if row.operation is not None else ():
            visit(operand, (*path, name))
        state[name] = 2
        order.append(row)

    for row in rows:
        visit(row.name, ())
    return order


# ---------------------------------------------------------------------------------------------------------------
# The deck's periods, computed once per deck
# ---------------------------------------------------------------------------------------------------------------

# Index of each period in a row's figure list.
_CY_WEEKS = range(0, 6)
_PY_WEEKS = range(6, 12)
_CY_MONTHS = range(12, 24)
_PY_MONTHS = range(24, 36)
_MTD, _MTD_PY, _QTD, _QTD_PY, _YTD, _YTD_PY = range(36, 42)
_REPORTED = 42  # periods 0..41 are shown (and their gaps reported); the rest feed the exceptions rule
_LOOKBACK = range(42, 42 + EXCEPTION_LOOKBACK_WEEKS)  # oldest first, the last one ends a week before W
_MISSING = object()  # a day with no observation (a blank one is None)


@dataclass(slots=True)
class _Calendar:
    week_ending: dt.date
    fyem: int
    starts: list[dt.date]
    ends: list[dt.date]
    names: list[str]
    base: int  # ordinal of the first day of the dense day array
    days: int  # length of the dense day array (its last day is W)
    weeks: int  # length of the dense week-ending array (its last week ending is W)
    day_bounds: list[tuple[int, int]]  # per period: [i, j) into the day array
    week_bounds: list[tuple[int, int]]  # per period: [i, j) into the week-ending array
    week_endings: tuple[dt.date, ...]
    months: tuple[dt.date, ...]
    partial_month: bool
    day_list: list[dt.date]  # the day of each day slot
    week_list: list[dt.date]  # the week ending of each week slot


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _calendar(week_ending: dt.date, fyem: int) -> _Calendar:
    w = week_ending
    w_py = year_earlier(w)
    starts: list[dt.date] = []
    ends: list[dt.date] = []
    names: list[str] = []

    def add(start: dt.date, end: dt.date, name: str) -> None:
        starts.append(start)
        ends.append(end)
        names.append(name)

    week_endings = tuple(w - dt.timedelta(days=7 * k) for k in range(NUM_WEEKS - 1, -1, -1))
    for end in week_endings:
        add(week_start(end), end, f"week {end.isoformat()}")
    for end in week_endings:
        py_end = end - dt.timedelta(days=PY_WEEK_OFFSET_DAYS)
        add(week_start(py_end), py_end, f"week {py_end.isoformat()}")
    months = tuple(shift_months(w, k) for k in range(-(NUM_MONTHS - 1), 1))
    for first in months:
        # The week's own month runs to W (partial unless W is the month's last day).
        last = w if first == months[-1] else month_end(first)
        add(first, last, f"month {first:%Y-%m}")
    for first in months:
        # The same months a year earlier, each in full: for the week's month too, as wbr-app does (its prior-year
        # partial month is the whole month a year earlier; the same dates are the MTD's prior year).
        py_first = year_earlier(first)
        add(py_first, month_end(py_first), f"month {py_first:%Y-%m}")
    add(month_start(w), w, "mtd")
    add(month_start(w_py), w_py, "mtd py")
    add(fiscal_quarter_start(w, fyem), w, "qtd")
    add(fiscal_quarter_start(w_py, fyem), w_py, "qtd py")
    add(fiscal_year_start(w, fyem), w, "ytd")
    add(fiscal_year_start(w_py, fyem), w_py, "ytd py")
    for k in range(EXCEPTION_LOOKBACK_WEEKS, 0, -1):
        end = w - dt.timedelta(days=7 * k)
        add(week_start(end), end, f"week {end.isoformat()}")

    w_ord = w.toordinal()
    base = min(s.toordinal() for s in starts)
    days = w_ord - base + 1
    day_bounds = [(s.toordinal() - base, e.toordinal() - base + 1) for s, e in zip(starts, ends, strict=True)]
    weeks = (w_ord - base) // 7 + 1  # week-ending slot p is the day W - 7 * (weeks - 1 - p)
    week_bounds = []
    for s, e in zip(starts, ends, strict=True):
        first = weeks - 1 - (w_ord - s.toordinal()) // 7  # first week ending on or after s
        last = weeks - 1 - _ceil_div(w_ord - e.toordinal(), 7)  # last week ending on or before e
        week_bounds.append((first, max(first, last + 1)))
    return _Calendar(
        week_ending=w,
        fyem=fyem,
        starts=starts,
        ends=ends,
        names=names,
        base=base,
        days=days,
        weeks=weeks,
        day_bounds=day_bounds,
        week_bounds=week_bounds,
        week_endings=week_endings,
        months=months,
        partial_month=not is_month_end(w),
        day_list=[dt.date.fromordinal(base + k) for k in range(days)],
        week_list=[w - dt.timedelta(days=7 * (weeks - 1 - p)) for p in range(weeks)],
    )


# ---------------------------------------------------------------------------------------------------------------
# One base row: lay the series into the dense array once, then each period is a slice
# ---------------------------------------------------------------------------------------------------------------


def _dense(series: Series, cal: _Calendar, count_from_first_day: bool) -> tuple[list, Grain, int, int]:
    """The series' values in the deck's dense array (day slots, or week-ending slots for a weekly series), with
    _MISSING where nothing was loaded and None where a blank was (NaN counts as blank); and the first slot on or
    after the series' first observation (0 when it has none, when it starts before the array, or when
    `count_from_first_day` is off: every slot is then expected)."""
    grain = Grain(series.grain)
    values = series.values
    slot_days = cal.week_list if grain is Grain.WEEK else cal.day_list
    get = values.get
    slots = [get(day, _MISSING) for day in slot_days]
    n = len(slots)
    for k in [k for k, value in enumerate(slots) if value != value]:  # NaN is the only value unequal to itself
        slots[k] = None
    first = 0
    if count_from_first_day and values:
        earliest = min(values)
        if earliest > slot_days[0]:
            first = bisect.bisect_left(slot_days, earliest)
    return slots, grain, n, first


def _slot_day(cal: _Calendar, grain: Grain, p: int) -> dt.date:
    return cal.week_list[p] if grain is Grain.WEEK else cal.day_list[p]


def _base_figures(
    row: RowSpec, series: Series, cal: _Calendar, count_from_first_day: bool
) -> tuple[list[float | None], list[Gap]]:
    slots, grain, n, first = _dense(series, cal, count_from_first_day)
    bounds = cal.week_bounds if grain is Grain.WEEK else cal.day_bounds
    aggregation = Aggregation(row.aggregation)
    # Slots before `first` are all _MISSING and not expected; only bad slots from `first` on make a period incomplete.
    bad_after_first = slots.count(None) + slots.count(_MISSING) - first
    prefix: list[int] | None = None
    if bad_after_first:
        prefix = [0] * (n + 1)
        count = 0
        for k, value in enumerate(slots):
            if value is None or value is _MISSING:
                count += 1
            prefix[k + 1] = count
    figures: list[float | None] = []
    gaps: list[Gap] = []
    name = row.name
    for index, (i, j) in enumerate(bounds):
        reported = index < _REPORTED
        start = i if i > first else first
        if j <= start or (prefix is not None and prefix[j] - prefix[start]):
            # Incomplete: a missing or blank day on or after the first observation, the whole period before it,
            # or (weekly) no week ending inside the period.
            figures.append(None)
            if reported:
                missing = tuple(_slot_day(cal, grain, p) for p in range(i, j) if slots[p] is _MISSING)
                blank = tuple(_slot_day(cal, grain, p) for p in range(i, j) if slots[p] is None)
                gaps.append(Gap(period=cal.names[index], missing=missing, blank=blank, metric=name))
            continue
        figures.append(aggregate(slots[start:j], aggregation))
        if start > i and reported:
            before = tuple(_slot_day(cal, grain, p) for p in range(i, start))
            gaps.append(Gap(period=cal.names[index], missing=before, metric=name, before_first_day=True))
    return figures, gaps


# ---------------------------------------------------------------------------------------------------------------
# Plans and exceptions
# ---------------------------------------------------------------------------------------------------------------


def _plan_lookup(plan: Sequence[PlanValue]) -> dict[tuple[Period, dt.date], PlanValue]:
    """Plans by (period, first day); a WEEK plan is found by its last day (the week ending)."""
    found: dict[tuple[Period, dt.date], PlanValue] = {}
    for value in plan:
        period = Period(value.period)
        found[(period, value.end if period is Period.WEEK else value.start)] = value
    return found


def _to_date_plan(plan: PlanValue | None, day: dt.date, prorate: bool) -> float | None:
    """A period's plan cut at `day`: pro-rated by days elapsed for a summed metric (a month's plan of 300 is 250 on
    its 25th day of 30); as is for a mean, min, max, last or a function row (a rate's plan does not scale)."""
    if plan is None:
        return None
    if not prorate or day >= plan.end:
        return float(plan.value)
    length = (plan.end - plan.start).days + 1
    elapsed = (day - plan.start).days + 1
    return float(plan.value) * elapsed / length


def _fmt(value: float) -> str:
    if value != 0 and abs(value) < 1:
        return f"{value:.4g}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _change(value: float, comparison: Comparison) -> str:
    return f"{value:+.1f} bps" if comparison is Comparison.BPS else f"{value:+.1f}%"


def _exception(row: RowSpec, figures: list[float | None], box: Box) -> str | None:
    """The documented rule (docs/wbr.md): off plan against the good direction, or outside the usual range (mean +-
    3 sample standard deviations of the 26 weekly figures before last week, with at least 8 of them complete)."""
    last = box.last_week
    if last is None:
        return None
    comparison = Comparison(row.comparison)
    reasons: list[str] = []
    if box.week_plan is not None and box.week_vs_plan is not None:
        worse = last < box.week_plan if Direction(row.direction) is Direction.UP else last > box.week_plan
        if worse:
            side = "below" if last < box.week_plan else "above"
            reasons.append(
                f"last week {_fmt(last)} is {side} plan {_fmt(box.week_plan)} ({_change(box.week_vs_plan, comparison)})"
            )
    history = [figures[k] for k in _LOOKBACK if figures[k] is not None]
    if len(history) >= EXCEPTION_MIN_WEEKS:
        mean = math.fsum(history) / len(history)
        sigma = math.sqrt(math.fsum((x - mean) ** 2 for x in history) / (len(history) - 1))  # sample deviation
        low, high = mean - EXCEPTION_SIGMAS * sigma, mean + EXCEPTION_SIGMAS * sigma
        if last < low or last > high:
            side = "above" if last > high else "below"
            reasons.append(
                f"last week {_fmt(last)} is {side} its usual range {_fmt(low)} to {_fmt(high)} "
                f"(mean ± 3σ of the {len(history)} weeks before)"
            )
    if not reasons:
        return None
    sentence = "; ".join(reasons)
    return sentence[0].upper() + sentence[1:] + "."


# ---------------------------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------------------------


def _result(row: RowSpec, figures: list[float | None], gaps: list[Gap], cal: _Calendar) -> RowResult:
    comparison = Comparison(row.comparison)
    f = figures
    last_week = f[_CY_WEEKS[-1]]
    plans = _plan_lookup(row.plan)
    prorate = row.operation is None and Aggregation(row.aggregation) is Aggregation.SUM
    w = cal.week_ending
    week_plan = _to_date_plan(plans.get((Period.WEEK, w)), w, False)
    mtd_plan = _to_date_plan(plans.get((Period.MONTH, cal.starts[_MTD])), w, prorate)
    qtd_plan = _to_date_plan(plans.get((Period.QUARTER, cal.starts[_QTD])), w, prorate)
    ytd_plan = _to_date_plan(plans.get((Period.YEAR, cal.starts[_YTD])), w, prorate)
    box = Box(
        last_week=last_week,
        wow=compare(last_week, f[_CY_WEEKS[-2]], comparison),
        yoy=compare(last_week, f[_PY_WEEKS[-1]], comparison),
        mtd=f[_MTD],
        mtd_yoy=compare(f[_MTD], f[_MTD_PY], comparison),
        qtd=f[_QTD],
        qtd_yoy=compare(f[_QTD], f[_QTD_PY], comparison),
        ytd=f[_YTD],
        ytd_yoy=compare(f[_YTD], f[_YTD_PY], comparison),
        week_plan=week_plan,
        week_vs_plan=compare(last_week, week_plan, comparison),
        mtd_plan=mtd_plan,
        mtd_vs_plan=compare(f[_MTD], mtd_plan, comparison),
        qtd_plan=qtd_plan,
        qtd_vs_plan=compare(f[_QTD], qtd_plan, comparison),
        ytd_plan=ytd_plan,
        ytd_vs_plan=compare(f[_YTD], ytd_plan, comparison),
    )
    weeks_plan: tuple[float | None, ...] = ()
    months_plan: tuple[float | None, ...] = ()
    if row.plan:
        weeks_plan = tuple(_to_date_plan(plans.get((Period.WEEK, end)), end, False) for end in cal.week_endings)
        months_plan = tuple(
            _to_date_plan(plans.get((Period.MONTH, first)), cal.ends[_CY_MONTHS[k]], prorate)
            for k, first in enumerate(cal.months)
        )
    return RowResult(
        name=row.name,
        label=row.label or row.name,
        comparison=comparison,
        number_format=row.number_format,
        week_endings=cal.week_endings,
        weeks_cy=tuple(f[k] for k in _CY_WEEKS),
        weeks_py=tuple(f[k] for k in _PY_WEEKS),
        months=cal.months,
        months_cy=tuple(f[k] for k in _CY_MONTHS),
        months_py=tuple(f[k] for k in _PY_MONTHS),
        partial_month=cal.partial_month,
        box=box,
        weeks_plan=weeks_plan,
        months_plan=months_plan,
        gaps=tuple(gaps),
        exception=_exception(row, figures, box),
        direction=row.direction,
    )


def build_deck(spec: DeckSpec) -> DeckResult:
    """The deck for the week ending `spec.week_ending`: per shown row, the trailing 6 weeks and 12 months with their
    prior year, the box (with vs plan), the gaps that made a figure unavailable, and the exception sentence. Figures
    of an incomplete period are None, never 0 (docs/wbr.md, "Definitions")."""
    _check_fyem(spec.fiscal_year_end_month)
    order = evaluation_order(spec.rows)
    cal = _calendar(spec.week_ending, spec.fiscal_year_end_month)
    figures: dict[str, list[float | None]] = {}
    gaps: dict[str, list[Gap]] = {}
    notes: list[str] = []
    empty = Series(values={})
    for row in order:
        if row.operation is None:
            source = row.source or row.name
            series = spec.series.get(source)
            if series is None:
                notes.append(f"{row.name}: no series named {source!r}; its figures are not available.")
                series = empty
            figures[row.name], gaps[row.name] = _base_figures(row, series, cal, spec.count_from_first_day)
        else:
            operation = Operation(row.operation)
            columns = [figures[name] for name in row.operands]
            figures[row.name] = [combine(operation, period) for period in zip(*columns, strict=True)]
            seen: set[tuple[str, str]] = set()
            inherited: list[Gap] = []
            for name in row.operands:
                for gap in gaps[name]:
                    if (gap.metric, gap.period) not in seen:
                        seen.add((gap.metric, gap.period))
                        inherited.append(gap)
            gaps[row.name] = inherited
    results = tuple(_result(row, figures[row.name], gaps[row.name], cal) for row in spec.rows if row.shown)
    number = spec.week_number if spec.week_number is not None else week_number(spec.week_ending, cal.fyem)
    return DeckResult(
        title=spec.title,
        week_ending=spec.week_ending,
        week_number=number,
        fiscal_year_end_month=spec.fiscal_year_end_month,
        rows=results,
        notes=tuple(notes),
    )


def period_gap(
    series: Series,
    start: dt.date,
    end: dt.date,
    *,
    name: str = "",
    metric: str = "",
    week_ending: dt.date | None = None,
) -> Gap | None:
    """The completeness check of one series over [start, end]: None when complete, else a Gap naming its missing
    and blank days. A daily series expects every day; a weekly one every week ending in the range on the weekday of
    `week_ending` (default: `end`)."""
    values: Mapping[dt.date, float | None] = series.values
    if Grain(series.grain) is Grain.WEEK:
        anchor = (week_ending or end).toordinal()
        first = start.toordinal()
        first += (anchor - first) % 7
        expected = [dt.date.fromordinal(o) for o in range(first, end.toordinal() + 1, 7)]
    else:
        expected = [dt.date.fromordinal(o) for o in range(start.toordinal(), end.toordinal() + 1)]
    missing: list[dt.date] = []
    blank: list[dt.date] = []
    for day in expected:
        if day not in values:
            missing.append(day)
        else:
            value = values[day]
            if value is None or value != value:
                blank.append(day)
    if not missing and not blank and expected:
        return None
    return Gap(
        period=name or f"{start.isoformat()} to {end.isoformat()}",
        missing=tuple(missing),
        blank=tuple(blank),
        metric=metric,
    )


def period_figure(
    series: Series,
    start: dt.date,
    end: dt.date,
    aggregation: Aggregation = Aggregation.SUM,
    *,
    count_from_first_day: bool = True,
    week_ending: dt.date | None = None,
) -> tuple[float | None, Gap | None]:
    """One period's figure by the deck's rules (for goals' progress and a metric's page): the aggregation of the
    series' values in [start, end], None with its Gap when a day is missing or blank; a period starting before the
    series' first observation counts from it, with a `before_first_day` Gap (unless `count_from_first_day` is off).
    A weekly series reads the week endings on `week_ending`'s weekday (default: `end`'s)."""
    values = series.values
    first = start
    if count_from_first_day and values:
        earliest = min(values)
        if earliest > start:
            first = earliest
    if first > end:
        return None, period_gap(series, start, end, week_ending=week_ending)
    gap = period_gap(series, first, end, week_ending=week_ending)
    if gap is not None:
        return None, period_gap(series, start, end, week_ending=week_ending)
    if Grain(series.grain) is Grain.WEEK:
        anchor = (week_ending or end).toordinal()
        o = first.toordinal() + (anchor - first.toordinal()) % 7
        days = [dt.date.fromordinal(k) for k in range(o, end.toordinal() + 1, 7)]
    else:
        days = [dt.date.fromordinal(k) for k in range(first.toordinal(), end.toordinal() + 1)]
    figure = aggregate([values[day] for day in days], Aggregation(aggregation))
    if first > start:
        before = period_gap(
            Series(values={}, grain=series.grain), start, first - dt.timedelta(days=1), week_ending=week_ending or end
        )
        missing = before.missing if before is not None else ()
        return figure, Gap(period=f"{start.isoformat()} to {end.isoformat()}", missing=missing, before_first_day=True)
    return figure, None


# ---------------------------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------------------------


def _iso(days: Sequence[dt.date]) -> list[str]:
    return [d.isoformat() for d in days]


def deck_to_dict(result: DeckResult) -> dict:
    """The deck as JSON-ready data: None stays None (null), floats are not rounded; only shown rows, by name."""
    metrics: dict[str, dict] = {}
    for row in result.rows:
        metrics[row.name] = {
            "label": row.label,
            "comparison": str(row.comparison),
            "number_format": row.number_format,
            "week_endings": _iso(row.week_endings),
            "weeks_cy": list(row.weeks_cy),
            "weeks_py": list(row.weeks_py),
            "months": _iso(row.months),
            "months_cy": list(row.months_cy),
            "months_py": list(row.months_py),
            "partial_month": row.partial_month,
            "weeks_plan": list(row.weeks_plan),
            "months_plan": list(row.months_plan),
            "box": {f.name: getattr(row.box, f.name) for f in fields(row.box)},
            "gaps": [
                {"metric": g.metric, "period": g.period, "missing": _iso(g.missing), "blank": _iso(g.blank)}
                for g in row.gaps
            ],
            "exception": row.exception,
        }
    return {
        "title": result.title,
        "week_ending": result.week_ending.isoformat(),
        "week_number": result.week_number,
        "fiscal_year_end_month": result.fiscal_year_end_month,
        "notes": list(result.notes),
        "metrics": metrics,
    }

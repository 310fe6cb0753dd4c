"""Private: a goal's progress from its metric's data and the date (MECHANISMS.md §8: never a colour someone picks).

The measured figure is the deck engine's (rules.build_deck over data.rows_for / data.series_for, the same code and
definitions as a WBR deck): the metric's last-week, MTD, QTD or YTD figure for the last ended week, or, once the
goal is due, for the last week ending on or before its due date, by the company's calendar (settings.MECH_WEEK_ENDS_ON
and MECH_FISCAL_YEAR_END_MONTH). A period with a missing or blank day has no figure, and the goal's status is then
no_data with the missing days named; it is never read as 0.

The status rule (documented in docs/metrics.md, Goals): past the due date, achieved when the measured figure meets
the target (at or above it for a metric whose good direction is up, at or below for down), else missed. Before it,
on track when the target is already met or the share of the way from the baseline to the target is at least the
share of the time elapsed less 10 points; at risk down to 25 points behind; off track beyond. Without a baseline the
way is measured from 0 (the measured figure over the target; the target over the measured figure for a "down"
metric)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import data, rules
from .contracts import (
    DeckSpec,
    Direction,
    Gap,
    GoalMeasure,
    GoalState,
    GoalStatus,
    RowResult,
)
from .models import Metric

ON_TRACK_SLACK = 0.10  # on track: no more than 10 points behind the time elapsed
AT_RISK_SLACK = 0.25  # at risk: up to 25 points behind; off track beyond
HISTORY_DAYS = 800  # enough days for the year to date and its prior year


@dataclass(frozen=True, slots=True)
class Judgement:
    progress: float | None
    elapsed: float
    status: GoalStatus
    reason: str


def measured_as_of(*, today: dt.date, due_date: dt.date) -> dt.date:
    """Which week a goal is measured on: the last ended week, or once due the last week ending by the due date."""
    ends = data.week_ends_on()
    return rules.week_ending_by(due_date, ends) if today > due_date else rules.last_ended_week(today, ends)


def share_of_way(*, measured: float, baseline: float | None, target: float, direction: Direction) -> float | None:
    """The share of the way from the baseline (0 without one) to the target; None when it cannot be said."""
    if baseline is not None:
        return None if target == baseline else (measured - baseline) / (target - baseline)
    if direction is Direction.DOWN:
        return None if measured == 0 else target / measured
    return None if target == 0 else measured / target


def judge(
    *,
    measured: float | None,
    baseline: float | None,
    target: float,
    direction: Direction,
    start: dt.date,
    due: dt.date,
    as_of: dt.date,
    today: dt.date,
    unavailable: str = "",
) -> Judgement:
    """The progress, the time elapsed and the status by the module's rule (pure)."""
    span = max((due - start).days, 1)
    elapsed = min(max((as_of - start).days / span, 0.0), 1.0)
    if measured is None:
        return Judgement(None, elapsed, GoalStatus.NO_DATA, unavailable or "no data for the measured period")
    progress = share_of_way(measured=measured, baseline=baseline, target=target, direction=direction)
    met = measured >= target if direction is Direction.UP else measured <= target
    if today > due:
        if met:
            return Judgement(progress, elapsed, GoalStatus.ACHIEVED, "the target was met at the due date")
        return Judgement(progress, elapsed, GoalStatus.MISSED, "the target was not met at the due date")
    if met:
        return Judgement(progress, elapsed, GoalStatus.ON_TRACK, "the target is already met")
    if progress is None:
        return Judgement(progress, elapsed, GoalStatus.AT_RISK, "the target is not met yet")
    behind = elapsed - progress
    pct = f"{progress:.0%} of the way with {elapsed:.0%} of the time gone"
    if behind <= ON_TRACK_SLACK:
        return Judgement(progress, elapsed, GoalStatus.ON_TRACK, pct)
    if behind <= AT_RISK_SLACK:
        return Judgement(progress, elapsed, GoalStatus.AT_RISK, pct)
    return Judgement(progress, elapsed, GoalStatus.OFF_TRACK, pct)


def measured_row(metric: Metric, *, as_of: dt.date) -> RowResult:
    """The engine's row for one metric for the week ending `as_of` (what a deck with this metric shows)."""
    rows, everything = data.rows_for([metric])
    series = data.series_for(everything, start=as_of - dt.timedelta(days=HISTORY_DAYS), end=as_of)
    spec = DeckSpec(week_ending=as_of, rows=rows, series=series, fiscal_year_end_month=data.fiscal_year_end_month())
    result = rules.build_deck(spec)
    return next(r for r in result.rows if r.name == metric.name)


def figure(row: RowResult, measure: GoalMeasure) -> float | None:
    box = row.box
    return {
        GoalMeasure.LAST_WEEK: box.last_week,
        GoalMeasure.MTD: box.mtd,
        GoalMeasure.QTD: box.qtd,
        GoalMeasure.YTD: box.ytd,
    }[measure]


def current_gaps(row: RowResult, measure: GoalMeasure, as_of: dt.date) -> tuple[Gap, ...]:
    """The row's gaps in the period the goal is judged on (the engine's period names: "week <end>", "mtd", "qtd",
    "ytd"); a period counted from the series' first day has its figure, so it is no gap here."""
    wanted = f"week {as_of.isoformat()}" if measure is GoalMeasure.LAST_WEEK else measure.value
    return tuple(g for g in row.gaps if g.period == wanted and not g.before_first_day)


def unavailable_words(measure: GoalMeasure, as_of: dt.date, gaps: tuple[Gap, ...]) -> str:
    days = sorted({d for g in gaps for d in (*g.missing, *g.blank)})
    what = f"the {measure.value.replace('_', ' ')} figure for the week ending {as_of.isoformat()} is not available"
    if days:
        shown = ", ".join(d.isoformat() for d in days[:5]) + (f" and {len(days) - 5} more" if len(days) > 5 else "")
        return f"{what}: no value for {shown}"
    return f"{what}: no data"


def outcome_for(state: GoalState, status: GoalStatus) -> str | None:
    """The state a due, approved goal is closed in, from its computed status (None: it cannot be judged yet)."""
    if state is not GoalState.APPROVED:
        return None
    return {GoalStatus.ACHIEVED: "achieved", GoalStatus.MISSED: "missed"}.get(status)

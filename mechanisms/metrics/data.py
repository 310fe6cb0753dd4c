"""Private: the one way the app turns its tables into the deck engine's inputs (rules.DeckSpec). Decks, a metric's
page and goals' progress all read series and row specs through here, so they compute the same figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from .contracts import (
    Aggregation,
    Comparison,
    Direction,
    Grain,
    Operation,
    Period,
    PlanValue,
    RowSpec,
    Series,
)
from .models import DataPoint, Metric
from .models import PlanValue as PlanValueRow


def week_ends_on() -> int:
    """The weekday the company's weeks end on (settings.MECH_WEEK_ENDS_ON, 0 Monday .. 6 Sunday; default Saturday)."""
    return int(getattr(settings, "MECH_WEEK_ENDS_ON", 5))


def fiscal_year_end_month() -> int:
    """The month the company's fiscal year ends with (settings.MECH_FISCAL_YEAR_END_MONTH; default December)."""
    return int(getattr(settings, "MECH_FISCAL_YEAR_END_MONTH", 12))


def with_operands(metrics: Iterable[Metric]) -> list[Metric]:
    """The metrics and, for each ratio metric, its numerator and denominator (once each, the given ones first)."""
    wanted: dict[int, Metric] = {}
    for metric in metrics:
        wanted.setdefault(metric.pk, metric)
    extra = {m.numerator_id for m in wanted.values() if m.numerator_id} | {
        m.denominator_id for m in wanted.values() if m.denominator_id
    }
    missing = extra - set(wanted)
    if missing:
        for metric in Metric.objects.filter(pk__in=missing):
            wanted[metric.pk] = metric
    return list(wanted.values())


def series_for(metrics: Iterable[Metric], *, start: dt.date, end: dt.date) -> dict[str, Series]:
    """The loaded values of each base (non-ratio) metric between start and end inclusive, by metric name; a blank
    loaded value is None, a day never loaded is absent (rules never read either as 0)."""
    base = {m.pk: m for m in metrics if not m.numerator_id}
    values: dict[int, dict[dt.date, float | None]] = {pk: {} for pk in base}
    rows = DataPoint.objects.filter(metric_id__in=list(base), day__gte=start, day__lte=end).values_list(
        "metric_id", "day", "value"
    )
    for metric_id, day, value in rows.iterator(chunk_size=5000):
        values[metric_id][day] = value
    return {m.name: Series(values=values[pk], grain=Grain(m.grain)) for pk, m in base.items()}


def plans_for(metrics: Iterable[Metric]) -> dict[int, tuple[PlanValue, ...]]:
    """Each metric's plan values, by metric id."""
    plans: dict[int, list[PlanValue]] = {}
    for row in PlanValueRow.objects.filter(metric_id__in=[m.pk for m in metrics]).order_by("start"):
        plans.setdefault(row.metric_id, []).append(
            PlanValue(period=Period(row.period), start=row.start, end=row.end, value=row.value)
        )
    return {pk: tuple(v) for pk, v in plans.items()}


def row_spec(
    metric: Metric,
    *,
    names: dict[int, str],
    plan: tuple[PlanValue, ...] = (),
    label: str = "",
    number_format: str = "",
    shown: bool = True,
) -> RowSpec:
    """The engine's row for one metric (`names`: metric id -> name, for a ratio's operands)."""
    ratio = bool(metric.numerator_id and metric.denominator_id)
    return RowSpec(
        name=metric.name,
        label=label or metric.title,
        aggregation=Aggregation.SUM if ratio else Aggregation(metric.aggregation),
        comparison=Comparison(metric.comparison),
        operation=Operation.DIVIDE if ratio else None,
        operands=(names[metric.numerator_id], names[metric.denominator_id]) if ratio else (),
        direction=Direction(metric.direction),
        number_format=number_format or metric.number_format,
        plan=plan,
        shown=shown,
    )


def rows_for(
    metrics: list[Metric], *, labels: dict[int, str] | None = None, formats: dict[int, str] | None = None
) -> tuple[tuple[RowSpec, ...], list[Metric]]:
    """Rows for `metrics` in order (shown), preceded by the hidden operand rows their ratios need; also returns
    every metric whose series the rows read (for `series_for`)."""
    everything = with_operands(metrics)
    names = {m.pk: m.name for m in everything}
    plans = plans_for(everything)
    shown_ids = {m.pk for m in metrics}
    hidden = [
        row_spec(m, names=names, plan=plans.get(m.pk, ()), shown=False) for m in everything if m.pk not in shown_ids
    ]
    shown = [
        row_spec(
            m,
            names=names,
            plan=plans.get(m.pk, ()),
            label=(labels or {}).get(m.pk, ""),
            number_format=(formats or {}).get(m.pk, ""),
        )
        for m in metrics
    ]
    return tuple(hidden + shown), everything

"""The one set-up of the metrics tests: metrics defined through the registry's service and daily values pushed
through the data service, so every test's metrics and values pass the same rules a person's would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from mechanisms.kernel.actor import Actor
from mechanisms.metrics import services
from mechanisms.metrics.contracts import ValuePoint
from mechanisms.metrics.models import Metric

SYSTEM = Actor.system("test")


def define(
    o,
    name: str,
    *,
    kind: str = "input",
    owner: str = "bob",
    team: str = "checkout",
    title: str = "",
    direction: str = "up",
    aggregation: str = "sum",
    grain: str = "day",
    numerator: Metric | None = None,
    denominator: Metric | None = None,
) -> Metric:
    """A metric of the small org, defined through `services.define_metric` (an input metric gets a lever)."""
    formula = {"ratio": {"numerator": numerator.name, "denominator": denominator.name}} if numerator else None
    view = services.define_metric(
        actor=SYSTEM,
        name=name,
        title=title or name.replace("_", " ").title(),
        kind=kind,
        definition=f"{name}, counted daily.",
        owner_id=o.people[owner].id,
        team_id=o.teams[team].id,
        lever="What the team ships." if kind == "input" else "",
        direction=direction,
        aggregation=aggregation,
        grain=grain,
        formula=formula,
    )
    return Metric.objects.get(pk=view.id)


def push(
    metric: Metric,
    start: dt.date,
    end: dt.date,
    value: float | Callable[[dt.date], float | None],
    *,
    skip: Iterable[dt.date] = (),
) -> None:
    """One value a day from start to end inclusive (None is a blank), except the days in `skip` (never loaded),
    pushed through `services.push_values` in batches the API allows."""
    skipped = set(skip)
    days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    points = [ValuePoint(day=d, value=value(d) if callable(value) else value) for d in days if d not in skipped]
    for i in range(0, len(points), services.MAX_PUSH):
        services.push_values(actor=SYSTEM, metric_id=metric.pk, values=points[i : i + services.MAX_PUSH])

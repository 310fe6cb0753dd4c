"""Shared set-up of the deck tests: metrics of the small org's checkout team and their daily values.

The registry's and the data part's services are written beside this part; until they are merged the metrics and
values are written straight to the tables here (the one place), with the same fields their services write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from mechanisms.metrics.models import DataPoint, Metric


def make_metric(
    o, name: str, *, owner: str = "bob", team: str = "checkout", kind: str = "input", aggregation: str = "sum", **kw
) -> Metric:
    return Metric.objects.create(
        name=name,
        title=kw.pop("title", name.replace("_", " ").title()),
        kind=kind,
        definition=f"{name}, counted daily.",
        owner_id=o.people[owner].id,
        team_id=o.teams[team].id,
        lever="what the team does" if kind == "input" else "",
        aggregation=aggregation,
        **kw,
    )


def load_days(
    metric: Metric, start: dt.date, end: dt.date, value: Callable[[dt.date], float | None], *, skip=()
) -> None:
    days = []
    day = start
    while day <= end:
        if day not in skip:
            days.append(DataPoint(metric=metric, day=day, value=value(day)))
        day += dt.timedelta(days=1)
    DataPoint.objects.bulk_create(days, batch_size=2000)

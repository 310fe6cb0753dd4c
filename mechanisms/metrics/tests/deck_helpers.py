"""Shared set-up of the deck tests: metrics of the small org's checkout team and their daily values, through the
registry's and the data part's services (tests/helpers.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from mechanisms.metrics.models import Metric

from .helpers import define, push


def make_metric(o, name: str, *, owner: str = "bob", team: str = "checkout", kind: str = "input", **kw) -> Metric:
    return define(o, name, owner=owner, team=team, kind=kind, **kw)


def load_days(
    metric: Metric, start: dt.date, end: dt.date, value: Callable[[dt.date], float | None], *, skip=()
) -> None:
    push(metric, start, end, value, skip=skip)

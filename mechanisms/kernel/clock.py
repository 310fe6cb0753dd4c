"""The one place that tells the time, so tests can pin it and the demo can write a realistic past."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

_shift: contextvars.ContextVar[dt.timedelta] = contextvars.ContextVar("clock_shift", default=dt.timedelta(0))


def now() -> dt.datetime:
    return timezone.now() + _shift.get()


def today() -> dt.date:
    return timezone.localtime(now()).date()


@contextlib.contextmanager
def shifted(delta: dt.timedelta) -> Iterator[None]:
    """Tell the time `delta` away from now inside the block (the demo writes a PR/FAQ's weeks in its circles as
    if they had passed, so the funnel's times read like a real organization's). Never used by a request."""
    token = _shift.set(delta)
    try:
        yield
    finally:
        _shift.reset(token)

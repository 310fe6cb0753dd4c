"""Pure rules of away-team requests (MECHANISMS.md §3): the facts the machine's guards judge, working-day
arithmetic, the lowest common manager, and the figures of the reports. No ORM, no Django settings. The state
machine itself (who may take which transition from where, with what input) is declared in `machines.py`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .contracts import Party, RequestState, WaitingOn


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the rules need to know about a request to judge a transition."""

    state: RequestState
    escalated_before: bool = False
    overdue: bool = False
    warranty_over: bool = False


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days from `start` (exclusive) to `end` (inclusive); 0 when `end` is not after `start`."""
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    count = full_weeks * 5
    day = start
    for _ in range(rest):
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


def median_days(durations: Iterable[float]) -> float | None:
    """The median of some durations in days, or None when there are none."""
    values = sorted(durations)
    return round(statistics.median(values), 2) if values else None


def lowest_common_manager(chain_a: Sequence[int], chain_b: Sequence[int]) -> int | None:
    """The nearest person above both leaders: the first of A's managers (nearest first) who also manages B."""
    above_b = set(chain_b)
    return next((p for p in chain_a if p in above_b), None)


def waiting_on(request, *, last_move: dt.datetime | None = None) -> WaitingOn:
    """Who the request waits on (MECHANISMS.md §3): the home team answers, reviews and accepts the hand-off; the
    requesting team builds, hands off after an approved review, and escalates or duplicates a decline; the deciding
    manager decides an escalation. `last_move` is when it entered its state, when known."""
    S = RequestState
    state = request.state
    answered = last_move or request.answered_at
    if state is S.FILED:
        return WaitingOn(Party.HOME, "answer", request.filed_at)
    if state is S.ACCEPTED:
        return WaitingOn(Party.REQUESTING, "start building", answered)
    if state is S.HOME_BUILDS:
        return WaitingOn(Party.HOME, "build it on its own roadmap", answered)
    if state is S.DECLINED:
        return WaitingOn(Party.REQUESTING, "escalate or duplicate", answered)
    if state is S.ESCALATED:
        return WaitingOn(Party.DECIDER, "decide the escalation", last_move)
    if state is S.IN_PROGRESS:
        return WaitingOn(Party.REQUESTING, "build it and ask for a review", last_move)
    if state is S.IN_REVIEW:
        return WaitingOn(Party.HOME, "review the change", last_move)
    if state is S.APPROVED:
        return WaitingOn(Party.REQUESTING, "hand off", last_move)
    if state is S.HANDED_OFF:
        return WaitingOn(Party.HOME, "accept the hand-off", last_move or request.handed_off_at)
    return WaitingOn(None, "", None)

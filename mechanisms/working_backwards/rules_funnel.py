"""Private, pure: the funnel of PR/FAQs (MECHANISMS.md §6: "shelving is a healthy outcome: the product reports the
funnel"). Plain facts in (each PR/FAQ's circle stays and, for the shelved ones, their reason), a `FunnelReport`
out; no ORM and no Django settings, so it is tested without a database and gives the same answer wherever the facts
come from. The service (`services.prfaq_funnel`) reads the facts; docs/working-backwards.md "The funnel" describes
the figures."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence

from .contracts import Circle, CircleStayRecord, FunnelReport, FunnelStep, ShelveReason

# How a stay ended (CircleStay.outcome); an open stay has none.
ADVANCED = "advanced"
APPROVED = "approved"
SHELVED = "shelved"
FORWARD = frozenset({ADVANCED, APPROVED})  # left the circle forward: advanced to the next, or approved from the top

DAY_SECONDS = 86_400


def funnel(
    *,
    stays: Mapping[int, Sequence[CircleStayRecord]],
    shelved: Mapping[int, ShelveReason | str],
    now: dt.datetime,
) -> FunnelReport:
    """The funnel of these PR/FAQs: every key of `stays` is one PR/FAQ (with its stays, possibly none), `shelved`
    gives the reason of each shelved one.

    - reached circle n: the PR/FAQs with a stay in circle n or beyond (every PR/FAQ reached circle 1, its author's);
    - current: stays still open (the PR/FAQ is in that circle now);
    - advanced: stays left forward (to the next circle, or approved for staffing from circle 4);
    - shelved in circle n: where the stay that ended `shelved` was (a shelved PR/FAQ without one: its furthest
      circle), counted per reason of the taxonomy (an unknown reason counts as `other`);
    - days: the median and the 90th percentile (nearest rank) of the days spent in the circle over every stay, an
      open stay counted up to `now`, in days with one decimal."""
    reached = dict.fromkeys(Circle, 0)
    current = dict.fromkeys(Circle, 0)
    advanced = dict.fromkeys(Circle, 0)
    days: dict[Circle, list[float]] = {c: [] for c in Circle}
    reasons: dict[Circle, dict[ShelveReason, int]] = {c: {} for c in Circle}
    approved = 0
    for prfaq_id, its_stays in stays.items():
        furthest = Circle.AUTHOR
        shelved_in: Circle | None = None
        for stay in its_stays:
            circle = Circle(stay.circle)
            furthest = max(furthest, circle)
            days[circle].append(stay_days(stay, now))
            if stay.left_at is None:
                current[circle] += 1
            elif stay.outcome in FORWARD:
                advanced[circle] += 1
            if stay.outcome == APPROVED:
                approved += 1
            if stay.outcome == SHELVED:
                shelved_in = circle
        for circle in Circle:
            if circle <= furthest:
                reached[circle] += 1
        if prfaq_id in shelved:
            reason = shelve_reason(shelved[prfaq_id])
            where = shelved_in or furthest
            reasons[where][reason] = reasons[where].get(reason, 0) + 1
    steps = tuple(
        FunnelStep(
            circle=c,
            reached=reached[c],
            current=current[c],
            advanced=advanced[c],
            shelved=sum(reasons[c].values()),
            days_median=_round(statistics.median(days[c])) if days[c] else None,
            days_p90=_round(percentile(days[c], 90)) if days[c] else None,
            reasons=_ordered(reasons[c]),
        )
        for c in Circle
    )
    overall: dict[ShelveReason, int] = {}
    for per_circle in reasons.values():
        for reason, count in per_circle.items():
            overall[reason] = overall.get(reason, 0) + count
    return FunnelReport(
        total=len(stays),
        steps=steps,
        approved=approved,
        shelved=sum(overall.values()),
        reasons=_ordered(overall),
    )


def stay_days(stay: CircleStayRecord, now: dt.datetime) -> float:
    """Days spent in one circle (fractional; an open stay up to `now`; never negative)."""
    end = stay.left_at or now
    return max((end - stay.entered_at).total_seconds(), 0.0) / DAY_SECONDS


def whole_days(since: dt.datetime, now: dt.datetime) -> int:
    """Whole days from `since` to `now` (0 within the first day), for "in circle 3 for 4 days"."""
    return max(int((now - since).total_seconds() // DAY_SECONDS), 0)


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile by nearest rank: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(math.ceil(p / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def shelve_reason(value: ShelveReason | str) -> ShelveReason:
    try:
        return ShelveReason(value)
    except ValueError:
        return ShelveReason.OTHER


def _ordered(counts: Mapping[ShelveReason, int]) -> tuple[tuple[ShelveReason, int], ...]:
    return tuple((r, counts[r]) for r in ShelveReason if counts.get(r))


def _round(value: float) -> float:
    return round(value, 1)

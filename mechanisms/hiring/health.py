"""Private: the hiring mechanism's health figures (MECHANISMS.md §4-§5; issue 10 deliverable 5), computed from the
decided loops' rows. Anonymous aggregates only: nothing here names or counts a candidate by name or id, so an
erased candidate's loop still counts (its votes, ratings, timings and outcome stay on erasure).

`services.hiring_health` authorizes and scopes (policy.health_team_ids) before calling `compute`.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict

from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services

from .contracts import Decision, HealthReport, InterviewerCalibration, Vote
from .models import Evidence as EvidenceRow
from .models import Feedback as FeedbackRow
from .models import Loop as LoopRow

PRODUCT = Actor.system("hiring-health")
DAY_MINUTES = 24 * 60
OVERRIDABLE = ("approve", "approve_with_concerns")  # a no-hire against these is an override of the bar raiser


def compute(*, teams: frozenset[int] | None, since: dt.date | None, until: dt.date | None) -> HealthReport:
    loops = LoopRow.objects.select_related("opening").exclude(decision="").filter(decided_at__isnull=False)
    if teams is not None:
        loops = loops.filter(opening__team_id__in=sorted(teams))
    if since is not None:
        loops = loops.filter(decided_at__date__gte=since)
    if until is not None:
        loops = loops.filter(decided_at__date__lte=until)
    loops = list(loops.order_by("id"))
    by_id = {loop.id: loop for loop in loops}
    feedback = list(
        FeedbackRow.objects.filter(
            interview__loop_id__in=list(by_id), interview__cancelled=False, submitted_at__isnull=False
        ).values("id", "vote", "minutes_to_submit", "interview__loop_id", "interview__interviewer_id")
    )
    assessed: dict[int, set[str]] = defaultdict(set)
    for loop_id, principle in EvidenceRow.objects.filter(
        feedback_id__in=[f["id"] for f in feedback], rating__isnull=False
    ).values_list("feedback__interview__loop_id", "principle"):
        assessed[loop_id].add(principle)

    minutes = sorted(f["minutes_to_submit"] for f in feedback if f["minutes_to_submit"] is not None)
    with_recommendation = [loop for loop in loops if loop.recommendation]
    # The bar-raisers app records the hiring manager's response to each review: an override is its word. A loop
    # whose review is missing there (written before reviews existed) counts by its own rows: a no-hire against an
    # approval.
    from . import services as hiring_services

    overridden = hiring_services.overridden_loop_ids(by_id)
    overrides = [
        loop
        for loop in with_recommendation
        if loop.id in overridden or (loop.decision == Decision.NO_HIRE.value and loop.recommendation in OVERRIDABLE)
    ]
    covered = [loop for loop in loops if set(loop.opening.principles or ()) <= assessed[loop.id]]
    qualified = [loop for loop in loops if _qualified_and_independent(loop)]
    return HealthReport(
        since=since,
        until=until,
        loops_decided=len(loops),
        qualified_independent_share=_share(len(qualified), len(loops)),
        feedback_submitted=len(feedback),
        feedback_median_minutes=float(statistics.median(minutes)) if minutes else None,
        feedback_p90_minutes=_percentile(minutes, 0.9),
        feedback_within_24h_share=_share(sum(1 for m in minutes if m <= DAY_MINUTES), len(minutes)),
        vetoes=sum(1 for loop in loops if loop.vetoed),
        veto_rate=_share(sum(1 for loop in loops if loop.vetoed), len(loops)),
        overrides=len(overrides),
        override_rate=_share(len(overrides), len(with_recommendation)),
        principle_coverage_share=_share(len(covered), len(loops)),
        calibration=_calibration(feedback, by_id),
    )


def _calibration(feedback: list[dict], loops: dict[int, LoopRow]) -> tuple[InterviewerCalibration, ...]:
    """Per interviewer: the loops they gave submitted feedback in, their votes, how many were inclined to hire,
    and how many agreed with the hiring manager's decision (inclined and hired, or not inclined and not hired)."""
    per: dict[int, dict] = defaultdict(lambda: {"loops": set(), "votes": 0, "inclined": 0, "agreed": 0})
    for f in feedback:
        if not f["vote"]:
            continue
        person = f["interview__interviewer_id"]
        loop = loops[f["interview__loop_id"]]
        inclined = Vote(f["vote"]).inclined
        entry = per[person]
        entry["loops"].add(loop.id)
        entry["votes"] += 1
        entry["inclined"] += int(inclined)
        entry["agreed"] += int(inclined == (loop.decision == Decision.HIRE.value))
    people = org_services.get_people(actor=PRODUCT, ids=list(per))
    rows = [
        InterviewerCalibration(
            person_id=person,
            handle=people[person].handle if person in people else "",
            loops=len(entry["loops"]),
            votes=entry["votes"],
            inclined=entry["inclined"],
            agreed=entry["agreed"],
        )
        for person, entry in per.items()
    ]
    return tuple(sorted(rows, key=lambda r: (r.handle, r.person_id)))


def _qualified_and_independent(loop: LoopRow) -> bool:
    """The loop's bar raiser was in the pool when the loop was planned and is independent of its hiring manager,
    team and recruiter."""
    from . import services as hiring_services

    return hiring_services.bar_raiser_was_qualified(loop)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percentile(ordered: list[int], q: float) -> float | None:
    """The nearest-rank percentile of an ordered list (None when empty)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q * len(ordered)))
    return float(ordered[rank - 1])

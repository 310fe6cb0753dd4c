"""Pure rules of away-team requests (MECHANISMS.md §3): which transition is allowed from which state and to whom,
the hand-off checklist, working-day arithmetic, and the figures of the reports. No ORM, no Django settings.

The state machine, one line per transition (``from states -> to state``, party allowed):

    file             (new)                                    -> filed         requesting team
    accept           filed                                    -> accepted      home team
    build_at_home    filed                                    -> home_builds   home team
    decline          filed                                    -> declined      home team
    escalate         declined | accepted | in_progress        -> escalated     requesting team (once)
    decide           escalated                                -> home_builds (reshuffle) | declined   deciding manager
    duplicate        declined | accepted | in_progress | in_review | filed (overdue)  -> duplicated   requesting team
    start            accepted                                 -> in_progress   requesting team
    submit           in_progress                              -> in_review     requesting team
    review           in_review                                -> in_review (approved) | in_progress   home team
    hand_off         in_review (checklist complete)           -> handed_off    requesting team
    accept_hand_off  handed_off                               -> warranty      home team
    complete         home_builds                              -> closed        home team
    close            warranty (warranty over)                 -> closed        either team
    withdraw         any open state before the hand-off       -> withdrawn     requesting team
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .contracts import Party, RequestState, Transition, WaitingOn

S = RequestState
T = Transition

FINAL_STATES = frozenset({S.CLOSED, S.DUPLICATED, S.WITHDRAWN})

# Which states a transition may start from, and which party may take it.
FROM_STATES: dict[Transition, frozenset[RequestState]] = {
    T.ACCEPT: frozenset({S.FILED}),
    T.BUILD_AT_HOME: frozenset({S.FILED}),
    T.DECLINE: frozenset({S.FILED}),
    T.ESCALATE: frozenset({S.DECLINED, S.ACCEPTED, S.IN_PROGRESS}),
    T.DECIDE: frozenset({S.ESCALATED}),
    T.DUPLICATE: frozenset({S.FILED, S.DECLINED, S.ACCEPTED, S.IN_PROGRESS, S.IN_REVIEW}),
    T.START: frozenset({S.ACCEPTED}),
    T.SUBMIT: frozenset({S.IN_PROGRESS}),
    T.REVIEW: frozenset({S.IN_REVIEW}),
    T.HAND_OFF: frozenset({S.IN_REVIEW}),
    T.ACCEPT_HAND_OFF: frozenset({S.HANDED_OFF}),
    T.COMPLETE: frozenset({S.HOME_BUILDS}),
    T.CLOSE: frozenset({S.WARRANTY}),
    T.WITHDRAW: frozenset({S.FILED, S.ACCEPTED, S.HOME_BUILDS, S.DECLINED, S.ESCALATED, S.IN_PROGRESS, S.IN_REVIEW}),
}
PARTY: dict[Transition, Party] = {
    T.FILE: Party.REQUESTING,
    T.ACCEPT: Party.HOME,
    T.BUILD_AT_HOME: Party.HOME,
    T.DECLINE: Party.HOME,
    T.ESCALATE: Party.REQUESTING,
    T.DECIDE: Party.DECIDER,
    T.DUPLICATE: Party.REQUESTING,
    T.START: Party.REQUESTING,
    T.SUBMIT: Party.REQUESTING,
    T.REVIEW: Party.HOME,
    T.HAND_OFF: Party.REQUESTING,
    T.ACCEPT_HAND_OFF: Party.HOME,
    T.COMPLETE: Party.HOME,
    T.CLOSE: Party.EITHER,
    T.WITHDRAW: Party.REQUESTING,
}
PARTY_WORDS = {
    Party.REQUESTING: "a member of the requesting team",
    Party.HOME: "a member of the home team",
    Party.DECIDER: "the deciding manager (the lowest common manager of both teams' leaders)",
    Party.EITHER: "a member of the requesting or the home team",
}
CHECKLIST = ("tests", "docs", "runbook", "review_approved")
CHECKLIST_WORDS = {
    "tests": "tests written and passing",
    "docs": "documentation updated",
    "runbook": "runbook updated",
    "review_approved": "the home team's review approved",
}


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the rules need to know about a request to judge a transition."""

    state: RequestState
    escalated_before: bool = False
    overdue: bool = False
    warranty_over: bool = False


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a transition is refused: the rule broken, in words a person can act on, and the field concerned."""

    message: str
    field: str = "state"
    forbidden: bool = False  # the wrong person (403) rather than the wrong moment (400)


def check_transition(transition: Transition, facts: RequestFacts, parties: frozenset[Party]) -> Refusal | None:
    """None when `transition` may be taken now by someone who is `parties`; else the rule it breaks.
    The state is judged first: a transition that makes no sense now is refused the same way for everyone."""
    if transition is T.FILE:
        return None if Party.REQUESTING in parties else Refusal(f"only {PARTY_WORDS[Party.REQUESTING]} may file")
    allowed = FROM_STATES[transition]
    if facts.state not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        return Refusal(f"cannot {transition.words} a request that is {facts.state.value}; only from: {names}")
    if transition is T.ESCALATE and facts.escalated_before:
        return Refusal("this request was escalated once and decided; it cannot be escalated again")
    if transition is T.DUPLICATE and facts.state is S.FILED and not facts.overdue:
        return Refusal(
            "the home team still has time to answer; duplicate after an answer or once the answer is overdue"
        )
    if transition is T.CLOSE and not facts.warranty_over:
        return Refusal("the warranty period is not over yet; the requesting team stays on call until it ends")
    needed = PARTY[transition]
    if needed in parties or (needed is Party.EITHER and parties & {Party.REQUESTING, Party.HOME}):
        return None
    return Refusal(f"only {PARTY_WORDS[needed]} may {transition.words} this request", field="actor", forbidden=True)


def available(facts: RequestFacts, parties: frozenset[Party]) -> tuple[Transition, ...]:
    """The transitions this viewer may take now (the actions a page offers)."""
    return tuple(t for t in FROM_STATES if check_transition(t, facts, parties) is None)


def missing_checklist(items: dict[str, bool]) -> list[str]:
    """What the hand-off still lacks, in words (MECHANISMS.md §3: tests, docs, runbook, the home team's review)."""
    return [CHECKLIST_WORDS[k] for k in CHECKLIST if not items.get(k)]


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
        if request.checklist.review_approved:
            return WaitingOn(Party.REQUESTING, "hand off", last_move)
        return WaitingOn(Party.HOME, "review the change", last_move)
    if state is S.HANDED_OFF:
        return WaitingOn(Party.HOME, "accept the hand-off", last_move or request.handed_off_at)
    return WaitingOn(None, "", None)

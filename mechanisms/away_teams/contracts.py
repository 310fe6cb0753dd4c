"""Public contracts of the away-teams app: plain frozen values, no Django (MECHANISMS.md §3)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import NewType

RequestId = NewType("RequestId", int)


class RequestState(enum.StrEnum):
    FILED = "filed"
    ACCEPTED = "accepted"
    HOME_BUILDS = "home_builds"
    DECLINED = "declined"
    ESCALATED = "escalated"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    HANDED_OFF = "handed_off"
    WARRANTY = "warranty"
    CLOSED = "closed"
    DUPLICATED = "duplicated"
    WITHDRAWN = "withdrawn"


def state_words(state: str) -> str:
    """A request state in plain words, as every page and command shows it."""
    return {"home_builds": "home team builds", "in_progress": "in progress", "in_review": "in review"}.get(
        state, state.replace("_", " ")
    )


# A request is open until it is closed, duplicated or withdrawn (a team being dissolved must map every open one).
OPEN_STATES = frozenset(
    {
        RequestState.FILED,
        RequestState.ACCEPTED,
        RequestState.HOME_BUILDS,
        RequestState.DECLINED,
        RequestState.ESCALATED,
        RequestState.IN_PROGRESS,
        RequestState.IN_REVIEW,
        RequestState.HANDED_OFF,
        RequestState.WARRANTY,
    }
)


class Transition(enum.StrEnum):
    FILE = "file"
    ACCEPT = "accept"
    BUILD_AT_HOME = "build_at_home"
    DECLINE = "decline"
    ESCALATE = "escalate"
    DECIDE = "decide"
    DUPLICATE = "duplicate"
    START = "start"
    SUBMIT = "submit"
    REVIEW = "review"
    HAND_OFF = "hand_off"
    ACCEPT_HAND_OFF = "accept_hand_off"
    COMPLETE = "complete"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    # Not a party's move: the dissolve and transfer workflows re-route or close an open request.
    REROUTE = "reroute"

    @property
    def words(self) -> str:
        return {
            "build_at_home": "answer 'we build it' to",
            "hand_off": "hand off",
            "accept_hand_off": "accept the hand-off of",
            "submit": "submit for review",
            "start": "start building",
        }.get(self.value, self.value)


class Party(enum.StrEnum):
    REQUESTING = "requesting"
    HOME = "home"
    DECIDER = "decider"
    EITHER = "either"


class Decision(enum.StrEnum):
    RESHUFFLE = "reshuffle"  # the home team reshuffles its roadmap and builds it
    KEEP_ROADMAP = "keep_roadmap"  # it does not; the request stays declined


@dataclass(frozen=True, slots=True)
class Checklist:
    tests: bool = False
    docs: bool = False
    runbook: bool = False
    review_approved: bool = False


@dataclass(frozen=True, slots=True)
class AwayTeamRequest:
    """A request by a requesting team for a change in a service owned by the home team (MECHANISMS.md §3)."""

    id: RequestId
    version: int
    title: str
    what: str
    why: str
    design: str
    service_id: int
    service_name: str
    requesting_team_id: int
    requesting_team_slug: str
    home_team_id: int
    home_team_slug: str
    filed_by_id: int | None
    state: RequestState
    filed_at: dt.datetime
    due_on: dt.date
    overdue: bool
    answer: str
    answered_at: dt.datetime | None
    effort_days: float | None
    contact_id: int | None
    standards: str
    decline_reason: str
    decider_id: int | None
    escalation_reason: str
    decision: str
    decision_reason: str
    duplicate_service_id: int | None
    checklist: Checklist
    downstream_impact: str
    handed_off_at: dt.datetime | None
    warranty_until: dt.date | None
    closed_at: dt.datetime | None
    outcome: str


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """One transition in a request's timeline: who, when, from which state to which, and why."""

    id: int
    at: dt.datetime
    transition: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_label: str
    note: str


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request with its timeline and the transitions the viewer may take now (what its page shows)."""

    request: AwayTeamRequest
    timeline: tuple[RequestEvent, ...]
    actions: tuple[str, ...]
    viewer_parties: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TeamBoard:
    """A team's requests, inbound (on its services) and outbound (filed by it), counted by state."""

    team_id: int
    team_slug: str
    inbound_by_state: dict[str, int]
    outbound_by_state: dict[str, int]
    overdue: int
    median_days_to_answer: float | None


@dataclass(frozen=True, slots=True)
class TaxLine:
    """What one team spends serving others (MECHANISMS.md §3, tax): inbound requests and accepted effort."""

    rank: int
    team_id: int
    team_slug: str
    team_name: str
    inbound: int
    accepted: int
    home_builds: int
    effort_days: float
    open_inbound: int
    overdue: int


@dataclass(frozen=True, slots=True)
class CreditLine:
    """Credit for changes handed off with a declared downstream impact, for a team or rolled up to an org unit."""

    kind: str  # "team" or "org_unit"
    id: int
    slug: str
    name: str
    handed_off: int
    with_impact: int


@dataclass(frozen=True, slots=True)
class CreditReport:
    teams: tuple[CreditLine, ...]
    org_units: tuple[CreditLine, ...]


@dataclass(frozen=True, slots=True)
class SweepReport:
    """What one run of the periodic sweep did: overdue answers reminded, warranties ended."""

    reminded: int
    closed: int

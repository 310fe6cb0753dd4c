"""Public contracts of the bar-raisers app (MECHANISMS.md §4): what hiring, decisions, experiments, corrections and
the mandate's waivers hand to it and get back. Frozen values only; no Django here."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from mechanisms.kernel.changes import UNSET, Unset

P = TypeVar("P", bound=Hashable)  # a person key: an id in the server, a `user:` reference offline
T = TypeVar("T", bound=Hashable)  # a team key


class SubjectKind(enum.StrEnum):
    """Every kind of subject a bar raiser reviews. Owning apps register how they describe and show their subjects
    (services.register_subject_kind); a kind nobody registered is refused."""

    HIRING_LOOP = "hiring_loop"
    DESIGN = "design"
    ARCHITECTURE = "architecture"
    CUSTOMER_EXPERIENCE = "customer_experience"
    EXPERIMENT = "experiment"
    WAIVER = "waiver"
    CORRECTION = "correction"
    PRFAQ = "prfaq"


class Recommendation(enum.StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CONCERNS = "approve_with_concerns"
    DO_NOT_PROCEED = "do_not_proceed"


class Response(enum.StrEnum):
    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"


class ReviewState(enum.StrEnum):
    REQUESTED = "requested"  # assigned, waiting for the bar raiser's recommendation
    RECOMMENDED = "recommended"  # waiting for the owner's response
    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"
    WITHDRAWN = "withdrawn"  # the subject went away before a recommendation (the owner withdrew it)


class OrgGraph(Protocol[P, T]):
    """The org relations the independence rule reads (MECHANISMS.md §4). The server's implementation is
    `org.contracts.OrgGraph` (org.services.org_graph); the offline catalog check adapts its catalog index."""

    def managers_above(self, person: P) -> tuple[P, ...]:
        """The person's management chain, nearest manager first (empty for the top or an unknown person)."""
        ...

    def team_members(self, team: T) -> frozenset[P]:
        """Everyone on the team, its leader included."""
        ...

    def team_leader(self, team: T) -> P | None:
        """The team's single-threaded leader, or None."""
        ...

    def team_name(self, team: T) -> str:
        """How a refusal names the team ("is on team payments")."""
        ...


@dataclass(frozen=True, slots=True)
class Subject:
    """What a bar raiser must be independent of, as the owning app states it: its owner (hiring manager or decision
    owner), its owning team(s), and other people who may not take the seat (the recruiter of a loop)."""

    kind: SubjectKind
    id: int
    title: str  # how every reader of the review or the overrides report sees the subject: nothing confidential
    owner_id: int | None  # None for a subject that stands for no person (a waiver on a team's service)
    team_ids: tuple[int, ...] = ()
    excluded_ids: tuple[int, ...] = ()  # e.g. the recruiter: never the bar raiser
    url: str = ""  # the subject's page in the owning app

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}"


# How an independence refusal names the subject's owner and its excluded people, per kind of subject.
OWNER_WORDS: dict[SubjectKind, str] = {
    SubjectKind.HIRING_LOOP: "hiring manager",
    SubjectKind.WAIVER: "requester of the waiver",  # a waiver's review is owned by whoever asked for it
}
EXCLUDED_WORDS: dict[SubjectKind, str] = {
    SubjectKind.HIRING_LOOP: "recruiter",
    SubjectKind.WAIVER: "person the subject stands for",
}


@dataclass(frozen=True, slots=True)
class PoolMemberRecord:
    person_id: int
    handle: str
    name: str
    trained_on: dt.date
    trainer_id: int | None
    trainer_handle: str
    capacity: int
    active: bool
    note: str
    load: int  # open assignments now, across every kind of subject
    version: int

    @property
    def has_room(self) -> bool:
        return self.active and self.load < self.capacity


@dataclass(frozen=True, slots=True)
class PoolMemberView:
    """One member's page: the member, their open assignments counted by kind (what anyone may see of their load),
    and what the viewer may do (change the member; read the subjects of the assignments)."""

    member: PoolMemberRecord
    load_by_kind: dict[str, int]
    can_manage: bool
    can_list_assignments: bool


@dataclass(frozen=True, slots=True)
class PoolMemberChanges:
    """The changes `update_pool_member` applies (pool managers): a field left UNSET is not touched."""

    trained_on: dt.date | Unset = UNSET
    trainer_id: int | None | Unset = UNSET
    capacity: int | Unset = UNSET
    active: bool | Unset = UNSET
    note: str | Unset = UNSET


@dataclass(frozen=True, slots=True)
class PoolRecord:
    """A person's pool membership as the org-and-catalog export writes it and its import reads it: by handle.
    `trained_on` None means "not in the pool" (an existing member is made inactive)."""

    handle: str
    trained_on: dt.date | None
    capacity: int = 2
    trainer: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An independent, active pool member with room, and their load; suggestions are least loaded first."""

    person_id: int
    handle: str
    name: str
    load: int
    capacity: int


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    id: int
    person_id: int
    handle: str
    subject_kind: SubjectKind
    subject_id: int
    suggested: bool
    reason: str
    assigned_at: dt.datetime
    released_at: dt.datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: int
    subject_kind: SubjectKind
    subject_id: int
    title: str
    url: str
    owner_id: int
    team_id: int | None
    bar_raiser_id: int
    state: ReviewState
    requested_at: dt.datetime
    due_on: dt.date | None
    question: str
    recommendation: Recommendation | None
    reasoning: str
    recommended_at: dt.datetime | None
    response: Response | None
    rationale: str
    responded_at: dt.datetime | None
    version: int


# ---------------------------------------------------------------------------------------------- reviews


@dataclass(frozen=True, slots=True)
class ReviewEventRecord:
    """One move of a review on its timeline: who, when, which transition, from and to which state, the note kept."""

    id: int
    at: dt.datetime
    transition: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_label: str
    note: str


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as its page shows it: the record, its timeline, and the moves this viewer may make now."""

    review: ReviewRecord
    timeline: tuple[ReviewEventRecord, ...]
    actions: tuple[str, ...]
    viewer_parties: tuple[str, ...]
    overridable: bool  # the subject kind lets its owner go against a do-not-proceed
    held: str  # why the recommendation waits (the owning app's `may_recommend`), or ""


@dataclass(frozen=True, slots=True)
class OverrideRate:
    """Reviews of one kind of subject, for the mechanism-health figures: requested (every review), recommended
    (a recommendation was written), overridden (the owner went against it) and vetoed (the recommendation was
    do-not-proceed: for a kind that is not overridable, such as a hiring loop, that is a veto)."""

    kind: SubjectKind
    requested: int
    recommended: int
    overridden: int
    vetoed: int

    @property
    def override_rate(self) -> float | None:
        return self.overridden / self.recommended if self.recommended else None

    @property
    def veto_rate(self) -> float | None:
        return self.vetoed / self.recommended if self.recommended else None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One open assignment of a bar raiser, with its subject as the owning app describes it to this viewer."""

    assignment: AssignmentRecord
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class BarRaiserQueue:
    """A bar raiser's own queue: the reviews waiting for their recommendation, and every open assignment."""

    awaiting: tuple[ReviewRecord, ...]
    assignments: tuple[QueueItem, ...]

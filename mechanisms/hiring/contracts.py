"""Public contracts of the hiring app (MECHANISMS.md §5): enums and frozen records. No Django here.

The records other apps may see carry no candidate content and no feedback text: a loop is described to the
bar-raisers app, the overrides report and notifications by its opening and number only."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import NamedTuple

from mechanisms.kernel.changes import UNSET, Unset


class OpeningState(enum.StrEnum):
    DRAFT = "draft"  # being written: no loop may start until the job description is written and it is opened
    OPEN = "open"
    ON_HOLD = "on_hold"
    FILLED = "filled"
    CLOSED = "closed"


class Source(enum.StrEnum):
    REFERRAL = "referral"
    INBOUND = "inbound"
    SOURCED = "sourced"
    AGENCY = "agency"
    INTERNAL = "internal"


class CandidateState(enum.StrEnum):
    APPLIED = "applied"
    IN_LOOP = "in_loop"
    OFFER = "offer"  # the hiring manager decided to hire
    HIRED = "hired"  # the offer was accepted: the opening is filled
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class LoopState(enum.StrEnum):
    PLANNING = "planning"  # interviews and the bar raiser being arranged; the loop rules are checked at start
    INTERVIEWING = "interviewing"  # started: feedback is being written, sealed
    DEBRIEF = "debrief"  # open: everyone's written vote shows first; the bar raiser runs it
    OFFER = "offer"  # decided: hire (never while vetoed)
    NO_HIRE = "no_hire"  # decided: no hire
    WITHDRAWN = "withdrawn"  # the candidate withdrew or the opening closed before a decision


class Vote(enum.StrEnum):
    """An overall vote: no neutral option."""

    STRONG_HIRE = "strong_hire"
    HIRE = "hire"
    NO_HIRE = "no_hire"
    STRONG_NO_HIRE = "strong_no_hire"

    @property
    def inclined(self) -> bool:
        return self in (Vote.STRONG_HIRE, Vote.HIRE)


class Decision(enum.StrEnum):
    HIRE = "hire"
    NO_HIRE = "no_hire"


RATINGS = (1, 2, 3, 4)  # per principle: 1 well below the bar .. 4 well above; no middle


# ------------------------------------------------------------------------------------------------ openings (records)


@dataclass(frozen=True, slots=True)
class PrincipleRecord:
    """A leadership principle an opening may assess (Amazon's sixteen by default; admins and company-wide recruiters
    manage the list)."""

    id: int
    slug: str
    name: str
    description: str
    position: int
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class OpeningRecord:
    """A job opening as every signed-in person reads it (an internal job posting): nothing about its candidates."""

    id: int
    title: str
    team_id: int
    team_slug: str
    team_name: str
    hiring_manager_id: int
    hiring_manager_handle: str
    recruiter_id: int | None
    recruiter_handle: str
    level: str
    manager_role: bool
    reports_ids: tuple[int, ...]
    job_description: str
    principles: tuple[str, ...]  # principle slugs to assess, in order
    state: OpeningState
    opened_on: dt.date | None
    closed_on: dt.date | None
    created_at: dt.datetime
    version: int
    # `job_description` is the current revision of the opening's document (documents keeps every revision):
    document_id: int | None = None
    job_description_revision: int = 0


@dataclass(frozen=True, slots=True)
class OpeningChanges:
    """The changes `update_opening` applies; a field left UNSET is not touched, None clears the recruiter."""

    title: str | Unset = UNSET
    hiring_manager_id: int | Unset = UNSET
    recruiter_id: int | None | Unset = UNSET
    level: str | Unset = UNSET
    manager_role: bool | Unset = UNSET
    reports_ids: tuple[int, ...] | Unset = UNSET
    job_description: str | Unset = UNSET
    principles: tuple[str, ...] | Unset = UNSET


@dataclass(frozen=True, slots=True)
class CandidateRecord:
    """A candidate as their insiders read them (hiring/policy.py): contact, source, résumé facts, state. An erased
    candidate reads "Erased candidate #<id>" with every personal field blank."""

    id: int
    opening_id: int
    opening_title: str
    name: str
    email: str
    phone: str
    source: Source
    source_detail: str
    resume_name: str
    resume_type: str
    resume_size: int
    state: CandidateState
    loop_id: int | None
    erased: bool
    created_at: dt.datetime
    version: int

    @property
    def has_resume(self) -> bool:
        return bool(self.resume_size)


@dataclass(frozen=True, slots=True)
class CandidateChanges:
    """The changes `update_candidate` applies; a field left UNSET is not touched."""

    name: str | Unset = UNSET
    email: str | Unset = UNSET
    phone: str | Unset = UNSET
    source: Source | str | Unset = UNSET
    source_detail: str | Unset = UNSET


class ResumeFile(NamedTuple):
    """A résumé as `read_resume` returns it: the uploaded name, the type recognised from its content, the bytes
    (a tuple, so `name, content_type, content = read_resume(...)` reads it too)."""

    name: str
    content_type: str
    content: bytes


# ------------------------------------------------------------------------------------------------ mechanism health


@dataclass(frozen=True, slots=True)
class InterviewerCalibration:
    """One interviewer's submitted votes against the loops' outcomes (anonymous as to candidates)."""

    person_id: int
    handle: str
    loops: int
    votes: int
    inclined: int  # strong_hire or hire
    agreed: int  # votes whose inclination matched the decision

    @property
    def agreement(self) -> float | None:
        return self.agreed / self.votes if self.votes else None


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The hiring mechanism's health over decided loops (MECHANISMS.md §4-§5; issue 10 deliverable 5). Anonymous
    aggregates only: no candidate appears, by name or by id. A share is None when nothing was counted."""

    since: dt.date | None
    until: dt.date | None
    loops_decided: int
    qualified_independent_share: float | None  # bar raiser in the pool at the time and independent
    feedback_submitted: int
    feedback_median_minutes: float | None
    feedback_p90_minutes: float | None
    feedback_within_24h_share: float | None
    vetoes: int
    veto_rate: float | None
    overrides: int
    override_rate: float | None
    principle_coverage_share: float | None  # loops whose chosen principles were each assessed at least once
    calibration: tuple[InterviewerCalibration, ...]


# --- loops: the loop, its interviews, sealed feedback and the debrief (records other apps and the pages get back)


class LoopParty(enum.StrEnum):
    """How a person stands to a loop (docs/access.md, hiring): these four are its insiders; anyone else is an
    outsider, who gets NotFound everywhere."""

    HIRING_MANAGER = "hiring_manager"
    BAR_RAISER = "bar_raiser"
    RECRUITER = "recruiter"
    INTERVIEWER = "interviewer"


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken loop rule (hiring/rules.py): the rule's name ("coverage", "bar-raiser-required", ...), the field
    to change, and words a person can act on."""

    rule: str
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class InterviewRecord:
    id: int
    loop_id: int
    interviewer_id: int
    interviewer_handle: str
    interviewer_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    principles: tuple[str, ...]
    cancelled: bool
    submitted_at: dt.datetime | None  # when the feedback was submitted (never its content): insiders may see it
    version: int


@dataclass(frozen=True, slots=True)
class InterviewChanges:
    """The changes `update_interview` applies; a field left UNSET is not touched (the interviewer does not change:
    cancel the interview and add another)."""

    starts_at: dt.datetime | Unset = UNSET
    ends_at: dt.datetime | Unset = UNSET
    principles: tuple[str, ...] | Unset = UNSET


@dataclass(frozen=True, slots=True)
class LoopRecord:
    """A loop as insiders see it. The candidate's name is here because only insiders ever get a LoopRecord; the
    title (for other apps, notifications and the bar raiser's queue) never carries it."""

    id: int
    title: str  # "Loop #12 for Senior SDE (payments)": no candidate name
    opening_id: int
    opening_title: str
    candidate_id: int
    candidate_name: str
    team_id: int
    hiring_manager_id: int
    recruiter_id: int | None
    state: LoopState
    bar_raiser_id: int | None
    bar_raiser_handle: str
    debrief_opened_at: dt.datetime | None
    debrief_opened_early: bool
    debrief_open_reason: str
    recommendation: str  # the bar raiser's, once given at the debrief ("" before)
    vetoed: bool
    decision: Decision | None
    decision_rationale: str
    decided_at: dt.datetime | None
    interviews: tuple[InterviewRecord, ...]
    created_at: dt.datetime
    version: int

    @property
    def url(self) -> str:
        return f"/hiring/loops/{self.id}"


@dataclass(frozen=True, slots=True)
class LoopView:
    """A loop with what this viewer is on it, the transitions they may take now and its timeline (the loop page)."""

    loop: LoopRecord
    parties: tuple[str, ...]
    actions: tuple[str, ...]
    problems: tuple[Problem, ...]  # what would refuse the start (planning only)
    # What else the viewer may do now, as the services judge it (the page offers exactly these forms):
    can_plan: bool = False  # add, move, cancel interviews and pick the bar raiser (planners, before the debrief)
    may_change_vote: bool = False  # an interviewer who submitted, while the debrief is open and undecided
    may_recommend: bool = False  # the bar raiser, while the debrief is open and before a recommendation
    timeline: tuple[LoopEventRecord, ...] = ()  # every step, oldest first


@dataclass(frozen=True, slots=True)
class EvidenceInput:
    """STAR evidence for one assigned principle, as the interviewer writes it; rating 1..4 (no middle)."""

    principle: str
    situation: str = ""
    task: str = ""
    action: str = ""
    result: str = ""
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    principle: str
    situation: str
    task: str
    action: str
    result: str
    rating: int | None


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One interviewer's feedback (sealed: see hiring/policy.py). A draft has `submitted_at` None."""

    interview_id: int
    loop_id: int
    interviewer_id: int
    interviewer_handle: str
    principles: tuple[str, ...]
    vote: Vote | None
    summary: str
    evidence: tuple[EvidenceRecord, ...]
    started_at: dt.datetime | None
    submitted_at: dt.datetime | None
    minutes_to_submit: int | None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


@dataclass(frozen=True, slots=True)
class FeedbackStatusLine:
    """Who has submitted and when: what insiders may see before the debrief. Never a vote."""

    interview_id: int
    interviewer_id: int
    interviewer_handle: str
    ends_at: dt.datetime
    submitted_at: dt.datetime | None
    minutes_to_submit: int | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class FeedbackStatus:
    loop_id: int
    state: LoopState
    lines: tuple[FeedbackStatusLine, ...]

    @property
    def outstanding(self) -> int:
        return sum(1 for line in self.lines if line.submitted_at is None)


@dataclass(frozen=True, slots=True)
class WrittenVote:
    """An interviewer's submitted vote, shown first at the debrief (before anyone talks)."""

    interview_id: int
    interviewer_id: int
    interviewer_handle: str
    vote: Vote
    minutes_to_submit: int | None


@dataclass(frozen=True, slots=True)
class DebriefVoteRecord:
    """A vote changed in the debrief: a new entry with its reason."""

    id: int
    person_id: int
    person_handle: str
    vote: Vote
    reason: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class DebriefRecord:
    """The debrief room: every written vote first, then the feedback, the changed votes, the bar raiser's
    recommendation and the decision. Nothing here scores or ranks: a human makes the call."""

    loop: LoopRecord
    votes: tuple[WrittenVote, ...]
    feedback: tuple[FeedbackRecord, ...]
    changed_votes: tuple[DebriefVoteRecord, ...]
    missing: tuple[str, ...]  # handles of interviewers whose feedback never came (the debrief opened early)
    recommendation: str
    recommendation_reasoning: str
    vetoed: bool
    decision: Decision | None
    decision_rationale: str


@dataclass(frozen=True, slots=True)
class MyInterview:
    """One of the actor's own interviews with its feedback status (their "my interviews" page)."""

    interview_id: int
    loop_id: int
    loop_title: str
    loop_state: LoopState
    starts_at: dt.datetime
    ends_at: dt.datetime
    principles: tuple[str, ...]
    feedback: str  # "none" | "draft" | "submitted"
    submitted_at: dt.datetime | None
    due_at: dt.datetime
    overdue: bool


@dataclass(frozen=True, slots=True)
class LoopEventRecord:
    """One step on a loop's timeline: who moved it, when, from which state to which (no feedback text, ever)."""

    at: dt.datetime
    transition: str
    from_state: str
    to_state: str
    actor_label: str
    note: str

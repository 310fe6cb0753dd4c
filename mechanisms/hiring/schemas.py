"""API schemas of the hiring app (entry point only). Bodies are strict (kernel.api.InSchema): an unknown field is a
422 naming it. The transition bodies are generated from the declared machines (hiring/machines.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field
from pydantic import BeforeValidator

from mechanisms.kernel.api import Id, InSchema, OutSchema, Version, choice

from .contracts import Source

# ------------------------------------------------------------------------------------------------ principles


class PrincipleIn(InSchema):
    slug: str = Field(..., max_length=64, description="lowercase letters, digits and dashes")
    name: str = Field(..., max_length=120)
    description: str = Field("", max_length=1000)
    position: int | None = Field(None, ge=0, le=10_000)


class PrinciplePatch(InSchema):
    version: Version
    name: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=1000)
    position: int | None = Field(None, ge=0, le=10_000)
    active: bool | None = None


class PrincipleOut(OutSchema):
    id: int
    slug: str
    name: str
    description: str
    position: int
    active: bool
    version: int


# ------------------------------------------------------------------------------------------------ openings


class OpeningIn(InSchema):
    title: str = Field(..., max_length=200)
    team_id: Id
    hiring_manager_id: Id = Field(..., description="leads the team or manages its leader")
    recruiter_id: Id | None = Field(None, description="holds the recruiter role for the team's unit")
    level: str = Field(..., max_length=32)
    manager_role: bool = False
    reports_ids: list[Id] = Field(default_factory=list, max_length=200, description="named would-be reports")
    job_description: str = Field("", max_length=20_000, description="Markdown; needed before the opening opens")
    principles: list[str] = Field(default_factory=list, max_length=16, description="active principle slugs")


class OpeningPatch(InSchema):
    version: Version
    title: str = Field(None, max_length=200)
    hiring_manager_id: Id = None
    recruiter_id: Id | None = None
    level: str = Field(None, max_length=32)
    manager_role: bool = None
    reports_ids: list[Id] = Field(None, max_length=200)
    job_description: str = Field(None, max_length=20_000, description="a changed text is the document's next revision")
    job_description_note: str = Field(None, max_length=500, description="why the job description changed")
    principles: list[str] = Field(None, max_length=16)


class OpeningOut(OutSchema):
    id: int
    version: int
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
    reports_ids: list[int]
    job_description: str = Field(..., description="the current revision of the opening's document (Markdown)")
    document_id: int | None = Field(None, description="the job description's document (/api/v1/documents/...)")
    job_description_revision: int = Field(0, description="the number of its current revision")
    principles: list[str]
    state: str
    opened_on: dt.date | None
    closed_on: dt.date | None
    created_at: dt.datetime


# ------------------------------------------------------------------------------------------------ candidates


class CandidateIn(InSchema):
    opening_id: Id
    name: str = Field(..., max_length=200)
    email: str = Field(..., max_length=254)
    phone: str = Field("", max_length=64)
    source: choice(Source)  # type: ignore[valid-type]
    source_detail: str = Field("", max_length=200)


class CandidatePatch(InSchema):
    version: Version
    name: str = Field(None, max_length=200)
    email: str = Field(None, max_length=254)
    phone: str = Field(None, max_length=64)
    source: choice(Source) = None  # type: ignore[valid-type]
    source_detail: str = Field(None, max_length=200)


class VersionIn(InSchema):
    version: Version


class WithdrawIn(InSchema):
    version: Version
    reason: str = Field("", max_length=2000)


class EraseIn(InSchema):
    reason: str = Field(..., max_length=200, description="why (kept in plain text: no personal content)")


class CandidateOut(OutSchema):
    id: int
    version: int
    opening_id: int
    opening_title: str
    name: str
    email: str
    phone: str
    source: str
    source_detail: str
    resume_name: str
    resume_type: str
    resume_size: int
    state: str
    loop_id: int | None
    erased: bool
    created_at: dt.datetime


# ------------------------------------------------------------------------------------------------ health


class CalibrationOut(OutSchema):
    person_id: int
    handle: str
    loops: int
    votes: int
    inclined: int
    agreed: int
    agreement: float | None


class HealthOut(OutSchema):
    since: dt.date | None
    until: dt.date | None
    loops_decided: int
    qualified_independent_share: float | None
    feedback_submitted: int
    feedback_median_minutes: float | None
    feedback_p90_minutes: float | None
    feedback_within_24h_share: float | None
    vetoes: int
    veto_rate: float | None
    overrides: int
    override_rate: float | None
    principle_coverage_share: float | None
    calibration: list[CalibrationOut]


# --- loops: loops, interviews, feedback, the debrief (the `loops` helper's schemas)

MAX_TEXT = 20000


def _iso_datetime(value: Any) -> Any:
    """A date and time is an ISO string with its time zone (`2026-03-02T10:00:00+00:00`): bodies are strict."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date and time as an ISO string, e.g. 2026-03-02T10:00:00+00:00")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date and time as an ISO string, e.g. 2026-03-02T10:00:00+00:00") from None
    if parsed.tzinfo is None:
        raise ValueError("must carry its time zone, e.g. 2026-03-02T10:00:00+00:00")
    return parsed


DateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]
Principles = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=10)]
LongText = Annotated[str, Field(max_length=MAX_TEXT)]


class LoopIn(InSchema):
    candidate_id: Id
    bar_raiser_id: Id | None = Field(None, description="omit to take the first suggestion (independent, least loaded)")
    reason: str = Field("", max_length=2000, description="why, when you pick someone other than the first suggestion")


class BarRaiserIn(InSchema):
    version: Version
    bar_raiser_id: Id | None = None
    reason: str = Field("", max_length=2000)


class InterviewIn(InSchema):
    interviewer_id: Id
    starts_at: DateTime
    ends_at: DateTime
    principles: Principles = Field(..., description="one or two of the opening's principle slugs")


class InterviewPatchIn(InSchema):
    version: Version
    starts_at: DateTime | None = None
    ends_at: DateTime | None = None
    principles: Principles | None = None


class CancelIn(InSchema):
    version: Version
    reason: str = Field("", max_length=5000)


class EvidenceIn(InSchema):
    principle: str = Field(..., max_length=64)
    situation: LongText = ""
    task: LongText = ""
    action: LongText = ""
    result: LongText = ""
    rating: int | None = Field(None, ge=-(2**31), le=2**31 - 1, description="1 (well below the bar) .. 4; no middle")


class FeedbackIn(InSchema):
    vote: str | None = Field(None, max_length=32, description="strong_hire, hire, no_hire or strong_no_hire")
    summary: LongText = ""
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=10)


class VoteIn(InSchema):
    vote: str = Field(..., max_length=32)
    reason: str = Field(..., max_length=5000)


class RecommendationIn(InSchema):
    recommendation: str = Field(..., max_length=32, description="approve, approve_with_concerns or do_not_proceed")
    reasoning: LongText


class ProblemOut(OutSchema):
    rule: str
    field: str
    message: str


class InterviewOut(OutSchema):
    id: int
    loop_id: int
    interviewer_id: int
    interviewer_handle: str
    interviewer_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    principles: list[str]
    cancelled: bool
    submitted_at: dt.datetime | None
    version: int


class LoopOut(OutSchema):
    id: int
    title: str
    url: str
    opening_id: int
    opening_title: str
    candidate_id: int
    candidate_name: str
    team_id: int
    hiring_manager_id: int
    recruiter_id: int | None
    state: str
    bar_raiser_id: int | None
    bar_raiser_handle: str
    debrief_opened_at: dt.datetime | None
    debrief_opened_early: bool
    debrief_open_reason: str
    recommendation: str
    vetoed: bool
    decision: str | None
    decision_rationale: str
    decided_at: dt.datetime | None
    interviews: list[InterviewOut]
    created_at: dt.datetime
    version: int


class LoopEventOut(OutSchema):
    at: dt.datetime
    transition: str
    from_state: str
    to_state: str
    actor_label: str
    note: str


class LoopViewOut(OutSchema):
    loop: LoopOut
    parties: list[str]
    actions: list[str]
    problems: list[ProblemOut]
    can_plan: bool
    may_change_vote: bool
    may_recommend: bool
    timeline: list[LoopEventOut]


class EvidenceOut(OutSchema):
    principle: str
    situation: str
    task: str
    action: str
    result: str
    rating: int | None


class FeedbackOut(OutSchema):
    interview_id: int
    loop_id: int
    interviewer_id: int
    interviewer_handle: str
    principles: list[str]
    vote: str | None
    summary: str
    evidence: list[EvidenceOut]
    started_at: dt.datetime | None
    submitted_at: dt.datetime | None
    minutes_to_submit: int | None


class FeedbackStatusLineOut(OutSchema):
    interview_id: int
    interviewer_id: int
    interviewer_handle: str
    ends_at: dt.datetime
    submitted_at: dt.datetime | None
    minutes_to_submit: int | None
    overdue: bool


class FeedbackStatusOut(OutSchema):
    loop_id: int
    state: str
    outstanding: int
    lines: list[FeedbackStatusLineOut]


class WrittenVoteOut(OutSchema):
    interview_id: int
    interviewer_id: int
    interviewer_handle: str
    vote: str
    minutes_to_submit: int | None


class DebriefVoteOut(OutSchema):
    id: int
    person_id: int
    person_handle: str
    vote: str
    reason: str
    at: dt.datetime


class DebriefOut(OutSchema):
    loop: LoopOut
    votes: list[WrittenVoteOut]
    feedback: list[FeedbackOut]
    changed_votes: list[DebriefVoteOut]
    missing: list[str]
    recommendation: str
    recommendation_reasoning: str
    vetoed: bool
    decision: str | None
    decision_rationale: str


class MyInterviewOut(OutSchema):
    interview_id: int
    loop_id: int
    loop_title: str
    loop_state: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    principles: list[str]
    feedback: str
    submitted_at: dt.datetime | None
    due_at: dt.datetime
    overdue: bool

"""API schemas of the hiring app (entry point only). Bodies are strict (kernel.api.InSchema): an unknown field is a
422 naming it. The transition bodies are generated from the declared machines (hiring/machines.py)."""

from __future__ import annotations

import datetime as dt

from ninja import Field

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
    job_description: str = Field(None, max_length=20_000)
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
    job_description: str
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

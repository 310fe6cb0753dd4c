"""API schemas of the mandate app (entry point only)."""

from __future__ import annotations

import datetime as dt

from ninja import Field

from mechanisms.kernel.api import Date, InSchema, OutSchema


class EvaluateIn(InSchema):
    today: Date | None = Field(None, description="evaluate as of this date (default: today)")


class EvaluationOut(OutSchema):
    id: int
    at: dt.datetime
    trigger: str
    actor: str
    errors: int
    warnings: int
    waived: int
    by_rule: dict[str, int]
    teams_scored: int
    invalid_waivers: list[str]


class FindingOut(OutSchema):
    id: int
    rule: str
    severity: str
    subject: str
    related: list[str]
    message: str
    details: list[str]
    team_id: int | None
    waived: bool
    waiver_id: int | None


class WaiverIn(InSchema):
    subject: str = Field(..., max_length=300, description="entity reference, e.g. component:default/checkout-api")
    rule: str = Field(..., max_length=64)
    related: str | None = Field(None, max_length=300)
    reason: str = Field(..., max_length=5000)
    expires: Date
    approver_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="the bar raiser to approve it; empty: the first suggestion"
    )
    approver_reason: str = Field("", max_length=5000, description="why this approver, when not the first suggestion")
    question: str = Field("", max_length=5000, description="what you ask the approver to look at")


class WaiverOut(OutSchema):
    id: int
    subject: str
    rule: str
    related: str | None
    reason: str
    expires: dt.date
    approver_person_id: int
    approver_handle: str
    granted_by: str
    created_at: dt.datetime
    revoked: bool
    expired: bool
    version: int
    state: str
    review_id: int | None
    requested_by_id: int | None


class ScorePointOut(OutSchema):
    evaluation_id: int
    at: dt.datetime
    errors: int
    warnings: int
    waived: int
    by_rule: dict[str, int]


class ScorecardOut(OutSchema):
    kind: str
    id: int
    slug: str
    name: str
    errors: int
    warnings: int
    waived: int
    by_rule: dict[str, int]
    findings: list[FindingOut]
    history: list[ScorePointOut]
    team_ids: list[int]
    evaluated_at: dt.datetime | None


class ConwayTeamOut(OutSchema):
    team_id: int
    slug: str
    name: str
    org_unit_id: int | None
    org_unit_slug: str | None
    fan_in: int
    fan_out: int


class ConwayEdgeOut(OutSchema):
    source_id: int
    source_slug: str
    target_id: int
    target_slug: str
    consumes: int
    accesses: int
    links: int
    total: int


class ConwayPairOut(OutSchema):
    team_a_id: int
    team_a_slug: str
    team_b_id: int
    team_b_slug: str
    org_unit_a: str | None
    org_unit_b: str | None
    edges: int
    tight: bool


class ConwayOut(OutSchema):
    teams: list[ConwayTeamOut]
    edges: list[ConwayEdgeOut]
    coupled_pairs: list[ConwayPairOut]

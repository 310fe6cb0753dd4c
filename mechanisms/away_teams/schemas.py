"""API schemas of the away-teams app (entry point only)."""

from __future__ import annotations

import datetime as dt

from ninja import Field

from mechanisms.kernel.api import Date, InSchema, OutSchema


class FileIn(InSchema):
    service_id: int = Field(..., ge=1, le=2**63 - 1, description="the home team's service to change")
    requesting_team_id: int = Field(..., ge=1, le=2**63 - 1, description="your team, which builds the change")
    title: str = Field(..., max_length=200)
    what: str = Field(..., max_length=20000, description="the change you need")
    why: str = Field(..., max_length=20000, description="why: the value to the customer")
    design: str = Field("", max_length=20000, description="the design you propose")


# The bodies of the transitions are generated from their declaration (away_teams/machines.py, kernel/machine_api.py).


class SweepIn(InSchema):
    today: Date | None = None


class ChecklistOut(OutSchema):
    tests: bool
    docs: bool
    runbook: bool
    review_approved: bool


class RequestOut(OutSchema):
    id: int
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
    state: str
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
    checklist: ChecklistOut
    downstream_impact: str
    handed_off_at: dt.datetime | None
    warranty_until: dt.date | None
    closed_at: dt.datetime | None
    outcome: str


class EventOut(OutSchema):
    id: int
    at: dt.datetime
    transition: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_label: str
    note: str


class RequestViewOut(OutSchema):
    request: RequestOut
    timeline: list[EventOut]
    actions: list[str]
    viewer_parties: list[str]


class BoardOut(OutSchema):
    team_id: int
    team_slug: str
    inbound_by_state: dict[str, int]
    outbound_by_state: dict[str, int]
    overdue: int
    median_days_to_answer: float | None


class TaxLineOut(OutSchema):
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


class CreditLineOut(OutSchema):
    kind: str
    id: int
    slug: str
    name: str
    handed_off: int
    with_impact: int


class CreditOut(OutSchema):
    teams: list[CreditLineOut]
    org_units: list[CreditLineOut]


class SweepOut(OutSchema):
    reminded: int
    closed: int

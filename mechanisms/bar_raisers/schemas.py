"""API schemas of the bar-raisers app (entry point only)."""

from __future__ import annotations

import datetime as dt

from ninja import Field

from mechanisms.kernel.api import Date, Id, InSchema, OutSchema, Version


class PoolMemberOut(OutSchema):
    person_id: int
    handle: str
    name: str
    trained_on: dt.date
    trainer_id: int | None
    trainer_handle: str
    capacity: int
    active: bool
    note: str
    load: int = Field(description="open assignments now, across every kind of subject")
    has_room: bool
    version: int


class PoolMemberViewOut(OutSchema):
    member: PoolMemberOut
    load_by_kind: dict[str, int]
    can_manage: bool
    can_list_assignments: bool


class PoolMemberIn(InSchema):
    person_id: Id
    trained_on: Date
    trainer_id: Id | None = None
    capacity: int = Field(2, ge=0, le=20)
    note: str = Field("", max_length=2000)


class PoolMemberPatch(InSchema):
    version: Version
    trained_on: Date | None = None
    trainer_id: Id | None = None
    capacity: int | None = Field(None, ge=0, le=20)
    active: bool | None = None
    note: str | None = Field(None, max_length=2000)


class AssignmentOut(OutSchema):
    id: int
    person_id: int
    handle: str
    subject_kind: str
    subject_id: int
    suggested: bool
    reason: str
    assigned_at: dt.datetime
    released_at: dt.datetime | None
    version: int


class IndependenceOut(OutSchema):
    person_id: int
    independent: bool
    problem: str | None = Field(description="the relation that makes the person dependent, e.g. 'is on team payments'")


# --- reviews
# The bodies of the review transitions are generated from their declaration (bar_raisers/machines.py).


class ReviewOut(OutSchema):
    id: int
    version: int
    subject_kind: str
    subject_id: int
    title: str
    url: str
    owner_id: int
    team_id: int | None
    bar_raiser_id: int
    state: str
    requested_at: dt.datetime
    due_on: dt.date | None
    question: str
    recommendation: str | None
    reasoning: str
    recommended_at: dt.datetime | None
    response: str | None
    rationale: str
    responded_at: dt.datetime | None


class ReviewEventOut(OutSchema):
    at: dt.datetime
    transition: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_label: str
    note: str


class ReviewViewOut(OutSchema):
    review: ReviewOut
    timeline: list[ReviewEventOut]
    actions: list[str]
    viewer_parties: list[str]
    overridable: bool
    held: str


class OverrideRateOut(OutSchema):
    kind: str
    requested: int
    recommended: int
    overridden: int
    vetoed: int

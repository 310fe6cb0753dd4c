"""API schemas of the bar-raisers app (entry point only)."""

from __future__ import annotations

import datetime as dt

from mechanisms.kernel.api import OutSchema

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

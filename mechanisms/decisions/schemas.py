"""API schemas of the decisions app (entry point only). The bodies of the machine's transitions are generated from
their declaration (decisions/machines.py, kernel/machine_api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field

from mechanisms.decisions.contracts import Category, Door, Outcome, Stance, Status
from mechanisms.kernel.api import Date, Id, InSchema, OutSchema, Version, choice

Question = Annotated[str, Field(min_length=1, max_length=300, description="the question being decided")]
LongText = Annotated[str, Field(max_length=20000)]


class OptionIn(InSchema):
    title: Annotated[str, Field(min_length=1, max_length=300)]
    description: LongText = Field("", description="pros and cons (Markdown)")


class DecisionIn(InSchema):
    question: Question
    context: LongText = ""
    options: list[OptionIn] = Field(default_factory=list, max_length=30)
    owner_id: Id | None = Field(None, description="the single owner; you when empty (admins may name another)")
    team_id: Id | None = None
    door: choice(Door) = Door.TWO_WAY
    category: choice(Category) = Category.OTHER
    high_impact: bool = Field(
        False, description="design, architecture or customer experience only: a bar-raiser review"
    )
    participant_ids: list[Id] = Field(default_factory=list, max_length=50)
    revisit_on: Date | None = None


class DecisionPatch(InSchema):
    version: Version
    question: Question | None = None
    context: LongText | None = None
    options: list[OptionIn] | None = Field(None, max_length=30)
    door: choice(Door) | None = None
    category: choice(Category) | None = None
    high_impact: bool | None = None
    team_id: Id | None = None
    revisit_on: Date | None = None
    consequences: LongText | None = None


class ParticipantIn(InSchema):
    version: Version
    person_id: Id


class StanceIn(InSchema):
    stance: choice(Stance)
    new_information: LongText = Field("", description="what the dissent brings; required to disagree and commit")


class OutcomeIn(InSchema):
    version: Version
    outcome: choice(Outcome)
    note: LongText = Field("", description="what happened; required when wrong or partly right")


class OptionOut(OutSchema):
    position: int
    title: str
    description: str


class ParticipantOut(OutSchema):
    person_id: int
    stance: Stance | None
    new_information: str
    signed_at: dt.datetime | None


class DecisionOut(OutSchema):
    id: int
    number: int
    slug: str
    question: str
    context: str
    options: list[OptionOut]
    decision: str
    chosen_option: int | None
    owner_id: int
    team_id: int | None
    door: Door
    status: Status
    category: Category
    high_impact: bool
    decided_on: dt.date | None
    consequences: str
    revisit_on: dt.date | None
    outcome: Outcome | None
    outcome_note: str
    outcome_at: dt.datetime | None
    outcome_by_id: int | None
    superseded_by_id: int | None
    participants: list[ParticipantOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class DecisionViewOut(OutSchema):
    decision: DecisionOut
    actions: list[str]
    can_edit: bool
    can_record_outcome: bool
    can_sign: bool
    review_id: int | None
    review_state: str | None
    held: str
    supersedes: list[int]


class TrackRecordOut(OutSchema):
    owner_id: int
    decided: int
    reviewed: int
    right: int
    partly_right: int
    wrong: int
    right_share: float | None

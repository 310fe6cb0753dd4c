"""API schemas of the notifications app (entry point only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field
from pydantic import ValidationInfo, field_validator

from mechanisms.kernel.api import Id, InSchema, OutSchema


class InboxItemOut(OutSchema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    subject_type: str
    subject_id: int | None
    actor_label: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    read: bool


class UnreadCountOut(OutSchema):
    unread: int


class MarkReadIn(InSchema):
    ids: list[Id] | None = Field(None, max_length=200, description="the items to mark read (your own)")
    all: bool = Field(False, validate_default=True, description="mark every item read instead")

    @field_validator("all")
    @classmethod
    def _ids_or_all(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("ids"):
            raise ValueError("send ids or all, not both")
        # ids missing from info.data failed their own validation, which is the error to report
        if not value and "ids" in info.data and info.data["ids"] is None:
            raise ValueError("send the ids to mark read, or all: true")
        return value


class MarkedOut(OutSchema):
    marked: int
    unread: int


MuteText = Annotated[str, Field(max_length=100)]


class PreferencesIn(InSchema):
    """Fields left out stay as they are; `version` is the version you read (a stale one gets 409)."""

    version: int = Field(..., ge=1, le=2**31 - 1)
    email: bool | None = None
    chat: bool | None = None
    webhook_url: str | None = Field(None, max_length=500, description="http(s) URL of your Slack-compatible webhook")
    muted_kinds: list[MuteText] | None = Field(
        None, max_length=50, description="kinds not to hear about: away_request.file, away_request.*, email:…"
    )


class PreferencesOut(OutSchema):
    person_id: int
    email: bool
    chat: bool
    webhook_url: str
    muted_kinds: list[str]
    version: int
    updated_at: dt.datetime | None


class DeliveryOut(OutSchema):
    id: int
    person_id: int | None
    channel: str
    kind: str
    title: str
    target: str
    status: str
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    created_at: dt.datetime


class DeliveryReportOut(OutSchema):
    attempted: int
    sent: int
    retrying: int
    failed: int

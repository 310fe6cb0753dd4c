"""API schemas of the audit app."""

from __future__ import annotations

import datetime as dt

from mechanisms.kernel.api import OutSchema


class ChangeOut(OutSchema):
    id: int
    at: dt.datetime
    actor_label: str
    actor_person_id: int | None
    correlation_id: str
    verb: str
    subject_type: str
    subject_id: str
    subject_label: str
    before: dict | None
    after: dict | None
    reason: str
    client_request_id: str | None
    erased: bool

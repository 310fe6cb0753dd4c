"""API schemas of the audit app."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class ChangeOut(Schema):
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

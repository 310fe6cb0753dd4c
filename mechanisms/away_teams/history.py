"""The away-teams app's kind of record with a history, registered with the audit app (docs/audit.md).

Away-team requests are open to every signed-in person, so is their history."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType

from .contracts import Transition
from .services import SUBJECT_TYPE


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=SUBJECT_TYPE,
            owner="away_teams",
            label="away-team request",
            # Filing, reminders, and every transition of the request's state machine.
            verbs=frozenset({"file", "remind", *(t.value for t in Transition)}),
            visible=audit_services.visible_to_signed_in,
        )
    )

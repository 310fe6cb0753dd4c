"""The notifications app's kinds of record with a history, registered with the audit app (docs/audit.md).

A person's notification preferences (where their notices go, their webhook) are theirs: their history is for
the person themselves and admins. The outbox's delivery runs are operations: admins only."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType
from mechanisms.kernel.actor import Actor

from .services import OUTBOX_SUBJECT, PREFERENCES_SUBJECT

OWNER = "notifications"


def _own_preferences(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    # Preferences are recorded under the person's id.
    return ids & {str(actor.person_id)} if actor.person_id is not None else frozenset()


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=PREFERENCES_SUBJECT,
            owner=OWNER,
            label="notification preferences",
            verbs=frozenset({"update"}),
            visible=_own_preferences,
        )
    )
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=OUTBOX_SUBJECT, owner=OWNER, label="notification outbox", verbs=frozenset({"deliver"}), visible=None
        )
    )

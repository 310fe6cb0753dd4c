"""The catalog's kinds of record with a history, registered with the audit app (docs/audit.md).

The catalog is open to every signed-in person, so is its history."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType

OWNER = "catalog"
CRUD = frozenset({"create", "update", "delete"})


def register() -> None:
    for name, verbs in (
        ("service", frozenset({"create", "update", "retire", "transfer"})),
        ("interface", CRUD),
        ("datastore", CRUD),
        ("dependency", CRUD),
    ):
        audit_services.register_subject_type(
            subject_type=SubjectType(name=name, owner=OWNER, verbs=verbs, visible=audit_services.visible_to_signed_in)
        )

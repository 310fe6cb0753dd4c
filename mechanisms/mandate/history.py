"""The mandate app's kinds of record with a history, registered with the audit app (docs/audit.md).

Evaluations and waivers are open to every signed-in person, so is their history."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType

OWNER = "mandate"


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="mandate_evaluation",
            owner=OWNER,
            label="mandate evaluation",
            verbs=frozenset({"evaluate"}),
            visible=audit_services.visible_to_signed_in,
        )
    )
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="waiver",
            owner=OWNER,
            verbs=frozenset({"create", "revoke"}),
            visible=audit_services.visible_to_signed_in,
        )
    )

"""The mandate app's kinds of record with a history, registered with the audit app (docs/audit.md).

Evaluations and waivers are open to every signed-in person, so is their history."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType

from . import policy as _policy

OWNER = "mandate"


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="mandate_evaluation",
            owner=OWNER,
            label="mandate evaluation",
            verbs=frozenset({"evaluate"}),
            visible=_policy.visible_ids,
        )
    )
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="waiver",
            owner=OWNER,
            # Recorded directly (before reviews: create), requested, put in force, refused or withdrawn through its
            # bar-raiser review, revoked.
            verbs=frozenset({"create", "request", "activate", "refuse", "withdraw", "revoke"}),
            visible=_policy.visible_ids,
        )
    )

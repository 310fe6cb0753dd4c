"""The bar-raisers app's kinds of record with a history, registered with the audit app (docs/audit.md).

A review is CONFIDENTIAL: its question, reasoning and rationale may discuss a candidate or an unreleased design,
so the log keeps the names of the changed fields only, and shows them to those who may read the review."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType
from mechanisms.notifications.contracts import DEADLINE_VERBS

from . import policy as _policy
from .machines import MACHINE, REQUEST

REVIEW_SUBJECT_TYPE = "bar_raiser_review"


def register_reviews() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=REVIEW_SUBJECT_TYPE,
            owner="bar_raisers",
            label="bar-raiser review",
            # The request, every transition of the review machine, and the recommendation's deadline (reminders).
            verbs=frozenset({REQUEST.name, *DEADLINE_VERBS, *(t.name for t in MACHINE.transitions)}),
            sensitivity=Sensitivity.CONFIDENTIAL,
            visible=_policy.visible_review_ids,
            url=lambda subject_id: f"/bar-raisers/reviews/{subject_id}",
        )
    )

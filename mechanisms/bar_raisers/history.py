"""The bar-raisers app's kinds of record with a history, registered with the audit app (docs/audit.md).

The pool is open to every signed-in person, so is a member's history. An assignment names its subject (a hiring
loop's id is confidential to the loop) and its reason may speak of it, so its history keeps field names only and is
the bar raiser's own to read. A review is CONFIDENTIAL too: its question, reasoning and rationale may discuss a
candidate or an unreleased design, so the log keeps the names of the changed fields only, and shows them to those
who may read the review."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType
from mechanisms.kernel.actor import Actor
from mechanisms.notifications.contracts import DEADLINE_VERBS

from . import policy as _policy
from .machines import MACHINE, REASSIGN, REQUEST
from .services import ASSIGNMENT_SUBJECT_TYPE, ASSIGNMENT_VERBS, POOL_SUBJECT_TYPE, POOL_VERBS, REVIEW_SUBJECT_TYPE


def _people(ids: frozenset[str]) -> dict[str, str]:
    from mechanisms.org import services as org_services

    wanted = [int(i) for i in ids if i.isdigit()]
    return {str(k): v.name for k, v in org_services.get_people(actor=Actor.system("bar_raisers"), ids=wanted).items()}


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=POOL_SUBJECT_TYPE,
            owner="bar_raisers",
            label="bar raiser",
            verbs=POOL_VERBS,
            visible=_policy.visible_ids,
            field_labels={"trained_on": "trained on", "trainer_id": "trainer"},
            verb_words={"create": "joined the pool", "import": "imported"},
            references={"trainer_id": "person"},
            names=_people,
        )
    )
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=ASSIGNMENT_SUBJECT_TYPE,
            owner="bar_raisers",
            label="bar-raiser assignment",
            verbs=ASSIGNMENT_VERBS,
            sensitivity=Sensitivity.CONFIDENTIAL,
            visible=_policy.visible_assignment_ids,
            verb_words={"assign": "assigned", "release": "released"},
        )
    )


def register_reviews() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=REVIEW_SUBJECT_TYPE,
            owner="bar_raisers",
            label="bar-raiser review",
            # The request, every transition of the review machine, and the recommendation's deadline (reminders).
            verbs=frozenset({REQUEST.name, REASSIGN.name, *DEADLINE_VERBS, *(t.name for t in MACHINE.transitions)}),
            sensitivity=Sensitivity.CONFIDENTIAL,
            visible=_policy.visible_review_ids,
            url=lambda subject_id: f"/bar-raisers/reviews/{subject_id}",
        )
    )

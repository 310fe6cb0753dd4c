"""The working_backwards app's kinds of record with a history, registered with the audit app (docs/audit.md).

`prfaq` is CONFIDENTIAL: a PR/FAQ in an early circle is as confidential as interview feedback, so its history keeps
which fields changed (state, circle, the circle's people, the shelving reason), never their values, and only its
readers (the author, the circles it reached, its bar raiser: policy.visible_ids) may read it; everyone else,
admins included, gets a 404. Its body's revisions are the documents app's `document` history, asked of the same
policy.

`narrative` is CONFIDENTIAL too: a confidential narrative's title and readers are for its insiders, so its history
keeps field names only, and who may read it is asked of the policy (services.visible_narrative_ids)."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType

from . import policy as _policy

PRFAQ_VERBS = frozenset({"create", "set_circle_members", "submit", "advance", "approve", "shelve"})


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name="prfaq",
            owner="working_backwards",
            label="PR/FAQ",
            verbs=PRFAQ_VERBS,
            sensitivity=Sensitivity.CONFIDENTIAL,
            visible=_policy.visible_ids,
            url=lambda subject_id: f"/prfaqs/{subject_id}",
            verb_words={
                "set_circle_members": "named the people of a circle of",
                "submit": "submitted",
                "advance": "advanced",
                "approve": "approved for staffing",
                "shelve": "shelved",
            },
        )
    )


def register_narrative() -> None:
    from . import services

    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=services.NARRATIVE_SUBJECT,
            owner="working_backwards",
            label="narrative",
            verbs=frozenset({"create", "revise", "update"}),
            sensitivity=Sensitivity.CONFIDENTIAL,
            visible=services.visible_narrative_ids,
            url=services.narrative_url,
            verb_words={"create": "wrote", "revise": "revised", "update": "changed the readers of"},
        )
    )

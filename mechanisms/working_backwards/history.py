"""The working_backwards app's kinds of record with a history, registered with the audit app (docs/audit.md).

`narrative` is CONFIDENTIAL: its history keeps which fields changed, never their values, since a confidential
narrative's title and readers are for its insiders; who may read the history is asked of policy.py, as every
other read of a narrative is. (The body's revisions are the document's history, in the documents app.)"""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType


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

"""The decisions app's kind of record with a history, registered with the audit app (docs/audit.md).

A decision log is meant to be read: decisions are OPEN to every signed-in person, so is their history, which keeps
every stance each participant signed (a re-signed stance replaces the live one; the log keeps both)."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType
from mechanisms.kernel.actor import Actor
from mechanisms.notifications.contracts import DEADLINE_VERBS

from . import policy as _policy
from .services import SUBJECT_TYPE, VERBS


def _people(ids: frozenset[str]) -> dict[str, str]:
    from mechanisms.org import services as org_services

    wanted = [int(i) for i in ids if str(i).isdigit()]
    return {str(k): v.name for k, v in org_services.get_people(actor=Actor.system("decisions"), ids=wanted).items()}


def _url(subject_id: str) -> str | None:
    from .models import Decision

    number = Decision.objects.filter(pk=subject_id).values_list("number", flat=True).first()
    return f"/decisions/{number}" if number is not None else None


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=SUBJECT_TYPE,
            owner="decisions",
            label="decision",
            # Its own writes, every transition of the machine, and the revisit's deadline (reminders, escalations).
            verbs=frozenset({*VERBS, *DEADLINE_VERBS}),
            visible=_policy.visible_ids,
            url=_url,
            # The fields a history line shows (the rest is bookkeeping: version, the participants' ids).
            field_labels={
                "question": "question",
                "context": "context",
                "options": "options",
                "decision": "decision",
                "door": "door",
                "status": "status",
                "category": "category",
                "team_id": "team",
                "consequences": "consequences",
                "outcome": "outcome",
                "stance": "stance",
                "chosen_option": "chosen option",
                "decided_on": "decided on",
                "revisit_on": "revisit on",
                "high_impact": "high impact",
                "owner_id": "owner",
                "participant_id": "participant",
                "new_information": "new information",
                "superseded_by_id": "superseded by",
            },
            verb_words={
                "create": "recorded the decision",
                "update": "changed the decision",
                "import": "imported the decision from MADR",
                "add_participant": "added a participant",
                "remove_participant": "removed a participant",
                "sign_stance": "signed a stance",
                "record_outcome": "recorded the outcome",
                "decide": "decided",
                "reject": "rejected",
                "deprecate": "deprecated",
                "supersede": "marked superseded",
                "remind": "reminded the owner to revisit",
                "escalate_overdue": "escalated the overdue revisit",
            },
            references={"owner_id": "person", "participant_id": "person", "team_id": "team"},
            names=_people,
        )
    )

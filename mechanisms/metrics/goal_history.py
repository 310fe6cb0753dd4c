"""Private: goals as a kind of record with a history, registered with the audit app (docs/audit.md). Goals are open
to every signed-in person, so is their history: each proposal, approval, return, revision and close, with its
reason."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType

from . import policy as _policy
from .services import GOAL_VERBS, SUBJECT_GOAL


def _url(subject_id: str) -> str | None:
    return f"/goals/{subject_id}" if str(subject_id).isdigit() else None


def _people(ids: frozenset[str]) -> dict[str, str]:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    wanted = [int(i) for i in ids if str(i).isdigit()]
    return {str(k): v.name for k, v in org_services.get_people(actor=Actor.system("metrics"), ids=wanted).items()}


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=SUBJECT_GOAL,
            owner="metrics",
            label="goal",
            verbs=GOAL_VERBS,
            visible=_policy.visible_ids,
            url=_url,
            field_labels={
                "title": "title",
                "description": "description",
                "metric_id": "metric",
                "metric_revision": "metric revision",
                "measure": "measure",
                "baseline": "baseline",
                "target": "target",
                "start_date": "start date",
                "due_date": "due date",
                "state": "state",
                "owner_id": "owner",
                "decision_note": "decision note",
            },
            verb_words={
                "create": "drafted the goal",
                "change": "changed the goal",
                "propose": "proposed the goal",
                "approve": "approved the goal",
                "return": "returned the goal to the team",
                "revise": "took the goal back to draft",
                "achieve": "closed the goal as achieved",
                "miss": "closed the goal as missed",
                "drop": "dropped the goal",
            },
            references={"owner_id": "person", "team_id": "team"},
            names=_people,
        )
    )

"""The experiments app's kinds of record with a history, registered with the audit app (docs/audit.md).

Experiments are open to every signed-in person, so is their history: every plan version, transition, decision and
metric-source change. Exposures are not audited one by one (they are data, written in bulk); each bulk write is
one audit record with its counts."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType

from . import policy as _policy
from .machines import MACHINE

SUBJECT_TYPE = "experiment"
SOURCE_SUBJECT_TYPE = "experiment_metric_source"


def _url(subject_id: str) -> str | None:
    from .models import Experiment

    key = Experiment.objects.filter(pk=subject_id).values_list("key", flat=True).first()
    return f"/experiments/{key}" if key is not None else None


def register() -> None:
    # Verbs: define (a draft), edit (a draft), revise_plan (a reasoned plan version after start), each transition of
    # the machine; record_exposures, analyse and set_source are the other parts'.
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=SUBJECT_TYPE,
            owner="experiments",
            label="experiment",
            verbs=frozenset({"define", "edit", "revise_plan", "record_exposures", "analyse", "set_source"})
            | frozenset(t.name for t in MACHINE.transitions),
            visible=_policy.visible_ids,
            url=_url,
            field_labels={
                "name": "name",
                "hypothesis": "hypothesis",
                "state": "state",
                "plan": "plan",
                "high_impact": "high impact",
                "decision": "decision",
                "key": "key",
                "team_id": "team",
                "owner_id": "owner",
                "service_id": "service",
                "hash_version": "hash version",
                "connection": "data connection",
                "plan_number": "plan version",
                "stop_reason": "why it stopped",
                "stopped_early": "stopped early",
                "decision_variation": "variation launched",
                "decision_rationale": "rationale",
                "review_reasons": "why a review is needed",
            },
        )
    )

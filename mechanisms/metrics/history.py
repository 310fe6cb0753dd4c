"""The metrics app's kinds of record with a history, registered with the audit app (docs/audit.md): metrics,
decks and goals. All OPEN: a WBR is read across the org, so is the history of what it shows.

The subject type names and verbs live here (services import them); each part adds its verbs, verb words and field
labels below under its own comment."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType
from mechanisms.kernel.actor import Actor

from . import policy as _policy

METRIC = "metric"
DECK = "deck"
GOAL = "goal"

METRIC_VERBS = frozenset(
    {
        # first part: the registry
        "create",
        "revise",
        "retire",
        "set_plan",
        # second part: data
        "load",
        "push",
        "set_sql_source",
        "update_sql_source",
        "pull",
    }
)
DECK_VERBS = frozenset(
    {
        # third part: decks
        "create",
        "update",
        "set_rows",
        "delete",
        "comment",
        "update_comment",
        "delete_comment",
        "snapshot",
    }
)
GOAL_VERBS_BASE = frozenset(
    {
        # fourth part: goals (the goal machine's transitions are added by the goals part)
        "create",
        "update",
        "propose",
        "approve",
        "reject",
        "withdraw",
        "reopen",
        "complete",
        "cancel",
    }
)
GOAL_VERBS: frozenset[str] = GOAL_VERBS_BASE  # the goals part may widen this with its machine's transitions

METRIC_FIELD_LABELS = {
    "name": "name",
    "title": "title",
    "kind": "kind",
    "definition": "definition",
    "unit": "unit",
    "direction": "good direction",
    "owner_id": "owner",
    "team_id": "team",
    "lever": "lever",
    "aggregation": "aggregation",
    "comparison": "comparison",
    "grain": "grain",
    "number_format": "number format",
    "numerator": "numerator",
    "denominator": "denominator",
    "evolved_from": "evolved from",
    "evolution_reason": "why it evolved",
    "revision": "revision",
    "retired_on": "retired on",
    "plan": "plan",
    # second part: data
    "rows": "values",
    "added": "added",
    "changed": "changed",
    "unchanged": "unchanged",
    "engine": "engine",
    "connection": "connection",
    "query": "query",
    "every_hours": "every (hours)",
    "enabled": "enabled",
}
METRIC_VERB_WORDS = {
    "create": "defined the metric",
    "revise": "revised the metric's definition",
    "retire": "retired the metric",
    "set_plan": "set the plan",
    # second part: data
    "load": "loaded values from a file",
    "push": "pushed values",
    "set_sql_source": "set the SQL source",
    "update_sql_source": "changed the SQL source",
    "pull": "pulled values by SQL",
}
DECK_FIELD_LABELS = {
    "slug": "slug",
    "title": "title",
    "unit_id": "org unit",
    "team_id": "team",
    "owner_id": "owner",
    "week_ends_on": "weeks end on",
    "fiscal_year_end_month": "fiscal year ends with month",
    "description": "description",
    "rows": "rows",
    "metric": "metric",
    "week_ending": "week ending",
    "body": "note",
}
DECK_VERB_WORDS = {
    "create": "created the deck",
    "update": "changed the deck",
    "set_rows": "changed the deck's metrics",
    "delete": "deleted the deck",
    "comment": "wrote commentary",
    "update_comment": "changed commentary",
    "delete_comment": "removed commentary",
    "snapshot": "took the week's snapshot",
}
GOAL_FIELD_LABELS = {
    "team_id": "team",
    "year": "year",
    "title": "title",
    "description": "description",
    "metric": "metric",
    "metric_revision": "metric revision",
    "measure": "measure",
    "baseline": "baseline",
    "target": "target",
    "start_date": "start",
    "due_date": "due",
    "state": "state",
    "owner_id": "owner",
    "decided_by_id": "decided by",
    "decision_note": "decision note",
}
GOAL_VERB_WORDS = {
    "create": "drafted the goal",
    "update": "changed the goal",
    "propose": "proposed the goal",
    "approve": "approved the goal",
    "reject": "rejected the goal",
    "withdraw": "withdrew the goal",
    "reopen": "reopened the goal",
    "complete": "completed the goal",
    "cancel": "cancelled the goal",
}
REFERENCES = {"owner_id": "person", "team_id": "team", "decided_by_id": "person", "unit_id": "org_unit"}


def _people(ids: frozenset[str]) -> dict[str, str]:
    from mechanisms.org import services as org_services

    wanted = [int(i) for i in ids if str(i).isdigit()]
    return {str(k): v.name for k, v in org_services.get_people(actor=Actor.system("metrics"), ids=wanted).items()}


def _metric_url(subject_id: str) -> str | None:
    from .models import Metric

    name = Metric.objects.filter(pk=subject_id).values_list("name", flat=True).first() if subject_id.isdigit() else None
    return f"/metrics/{name}" if name is not None else None


def _deck_url(subject_id: str) -> str | None:
    from .models import Deck

    slug = Deck.objects.filter(pk=subject_id).values_list("slug", flat=True).first() if subject_id.isdigit() else None
    return f"/wbr/{slug}" if slug is not None else None


def _goal_url(subject_id: str) -> str | None:
    return f"/goals/{subject_id}" if subject_id.isdigit() else None


def register() -> None:
    for name, label, verbs, labels, words, url in (
        (METRIC, "metric", METRIC_VERBS, METRIC_FIELD_LABELS, METRIC_VERB_WORDS, _metric_url),
        (DECK, "WBR deck", DECK_VERBS, DECK_FIELD_LABELS, DECK_VERB_WORDS, _deck_url),
        (GOAL, "goal", GOAL_VERBS, GOAL_FIELD_LABELS, GOAL_VERB_WORDS, _goal_url),
    ):
        audit_services.register_subject_type(
            subject_type=SubjectType(
                name=name,
                owner="metrics",
                label=label,
                verbs=frozenset(verbs),
                visible=_policy.visible_ids,
                url=url,
                field_labels=labels,
                verb_words=words,
                references=REFERENCES,
                names=_people,
            )
        )

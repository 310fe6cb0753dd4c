"""The decision record's life, declared once (MECHANISMS.md §7; the engine is kernel/machines.py, docs/machines.md).

    decide      proposed              -> accepted     the owner (names the chosen option; the decision text)
    reject      proposed              -> rejected     the owner
    deprecate   accepted              -> deprecated   the owner
    supersede   accepted | deprecated -> superseded   the owner (names the newer decision by its number)

From this come services.apply_transition, the API endpoints (`POST /decisions/{id}/<slug>`), the CLI commands
(`mech decisions <slug>`) and the decision page's forms. A high-impact decision is decided only once its bar-raiser
review was accepted or overridden (MECHANISMS.md §4): the guard of `decide`. Effects receive the context of
services.py (`ctx.values`, `ctx.row`, `ctx.today`, `ctx.option_count`, `ctx.decision_by_number(n)`); this module
stays free of Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mechanisms.kernel import machines as m
from mechanisms.kernel.errors import RuleViolation

from .contracts import Status

S = Status
OWNER = frozenset({"owner"})
REVIEW_DONE = frozenset({"accepted", "overridden"})


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    """What the guards judge: the state, whether the decision is high-impact and where its review stands."""

    state: str
    high_impact: bool
    review_state: str | None
    option_count: int


def _review_done(facts: DecisionFacts) -> m.Refusal | None:
    if facts.high_impact and facts.review_state not in REVIEW_DONE:
        where = f"it is {facts.review_state}" if facts.review_state else "none was requested"
        return m.Refusal(
            f"a high-impact decision needs its bar-raiser review accepted or overridden first ({where})",
            field="high_impact",
        )
    if facts.option_count == 0:
        return m.Refusal("a decision chooses one of its considered options; add the options first", field="options")
    return None


def _decide(ctx: Any) -> dict[str, Any]:
    chosen = ctx.values["chosen_option"]
    if chosen > ctx.option_count:
        raise RuleViolation(
            f"chosen_option must be one of the considered options, 1 to {ctx.option_count}", field="chosen_option"
        )
    decided_on = ctx.today
    if ctx.values["decided_on"]:
        try:
            decided_on = dt.date.fromisoformat(ctx.values["decided_on"])
        except ValueError:
            raise RuleViolation("decided_on must be a date such as 2026-03-31", field="decided_on") from None
        if decided_on > ctx.today:
            raise RuleViolation("a decision cannot be decided in the future", field="decided_on")
    return {"chosen_option": chosen, "decision": ctx.values["decision"], "decided_on": decided_on}


def _supersede(ctx: Any) -> dict[str, Any]:
    newer = ctx.decision_by_number(ctx.values["by_number"])
    if newer is None:
        raise RuleViolation(f"there is no decision {ctx.values['by_number']}", field="by_number")
    if newer.pk == ctx.row.pk:
        raise RuleViolation("a decision cannot supersede itself", field="by_number")
    return {"superseded_by_id": newer.pk}


REASON = m.text("reason", required=True, max_length=5000, multiline=True, help="Why. Kept in the history.")

MACHINE = m.Machine(
    name="decision",
    noun="decision",
    states=(
        m.State(S.PROPOSED.value),
        m.State(S.ACCEPTED.value, "decided"),
        m.State(S.REJECTED.value),
        m.State(S.DEPRECATED.value),
        m.State(S.SUPERSEDED.value),
    ),
    initial=S.PROPOSED.value,
    final=frozenset({S.REJECTED.value, S.SUPERSEDED.value}),
    parties={"owner": "the decision's owner"},
    transitions=(
        m.Transition(
            "decide",
            sources=frozenset({S.PROPOSED.value}),
            target=S.ACCEPTED.value,
            by=OWNER,
            title="Decide",
            button="Record the decision",
            help="Name the chosen option and write the decision and why.",
            inputs=(
                m.integer("chosen_option", ge=1, le=1000, required=True, label="Chosen option (its number)"),
                m.text("decision", required=True, max_length=20000, multiline=True, help="The decision and why."),
                m.text("decided_on", max_length=10, help="YYYY-MM-DD; today when empty."),
            ),
            guard=_review_done,
            effect=_decide,
            note="decision",
            done="decided",
            notice="decided",
        ),
        m.Transition(
            "reject",
            sources=frozenset({S.PROPOSED.value}),
            target=S.REJECTED.value,
            by=OWNER,
            title="Reject",
            inputs=(REASON,),
            note="reason",
            done="rejected",
            notice="rejected",
            secondary=True,
        ),
        m.Transition(
            "deprecate",
            sources=frozenset({S.ACCEPTED.value}),
            target=S.DEPRECATED.value,
            by=OWNER,
            title="Deprecate",
            inputs=(REASON,),
            note="reason",
            done="deprecated",
            notice="deprecated",
            secondary=True,
        ),
        m.Transition(
            "supersede",
            sources=frozenset({S.ACCEPTED.value, S.DEPRECATED.value}),
            target=S.SUPERSEDED.value,
            by=OWNER,
            title="Superseded by a newer decision",
            button="Supersede",
            inputs=(
                m.integer("by_number", ge=1, required=True, label="The newer decision's number", cli=("--by",)),
                m.text("note", max_length=5000, multiline=True),
            ),
            effect=_supersede,
            done="superseded",
            notice="superseded",
            secondary=True,
        ),
    ),
)

"""The metrics app's declared machines (kernel/machines.py, docs/machines.md): a team's goal for the year.

    propose    draft                -> proposed   the team (its members or its leader)
    approve    proposed             -> approved   leadership (a leader of an org unit containing the team who is not
                                                  in the team), or an admin
    return     proposed             -> draft      leadership, saying what has to change
    revise     approved             -> draft      the team, saying why: an approved "what" is frozen, so changing it
                                                  goes back through a proposal
    achieve    approved             -> achieved   leadership or the worker, once due and the data shows it met
    miss       approved             -> missed     leadership or the worker, once due and the data shows it not met
    drop       approved             -> dropped    leadership, saying why

Leadership approves the "what" (metric, target, due date, measure); the team owns the "how" (MECHANISMS.md §8).
Whether a goal was achieved or missed is never chosen: the guards of `achieve` and `miss` read the outcome the
services computed from the metric's data at the due date (`GoalFacts.outcome`), so a page offers only the one the
data supports, and neither while the measured period is incomplete. Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mechanisms.kernel import machines as m

from .contracts import GoalState

S = GoalState
TEAM = frozenset({"team"})
LEADERSHIP = frozenset({"leadership"})


@dataclass(frozen=True, slots=True)
class GoalFacts:
    """What the guards judge: the state, whether the due date has passed, and the outcome the data shows at the
    due date (achieved, missed, or None while the measured period is incomplete or not due)."""

    state: str
    due_passed: bool
    outcome: str | None
    why_no_outcome: str = ""


def _judged(outcome: str):
    def guard(facts: GoalFacts) -> m.Refusal | None:
        if not facts.due_passed:
            return m.Refusal("a goal is judged from its data once its due date has passed", field="due_date")
        if facts.outcome is None:
            return m.Refusal(
                f"the goal cannot be judged: {facts.why_no_outcome or 'its measured period is incomplete'}",
                field="data",
            )
        if facts.outcome != outcome:
            return m.Refusal(f"the data says the goal was {facts.outcome}, not {outcome}", field="data")
        return None

    return guard


def _decided(field: str):
    def effect(ctx: Any) -> dict[str, Any]:
        return {"decided_by_id": ctx.actor.person_id, "decided_at": ctx.now, "decision_note": ctx.values[field]}

    return effect


REASON = m.text("reason", required=True, max_length=5000, multiline=True, help="Why. Kept in the history.")

MACHINE = m.Machine(
    name="goal",
    noun="goal",
    states=(
        m.State(S.DRAFT.value),
        m.State(S.PROPOSED.value, "proposed for approval"),
        m.State(S.APPROVED.value),
        m.State(S.ACHIEVED.value),
        m.State(S.MISSED.value),
        m.State(S.DROPPED.value),
    ),
    initial=S.DRAFT.value,
    final=frozenset({S.ACHIEVED.value, S.MISSED.value, S.DROPPED.value}),
    parties={
        "team": "a member or the leader of the goal's team",
        "leadership": "a leader above the goal's team (or an admin)",
    },
    transitions=(
        m.Transition(
            "propose",
            sources=frozenset({S.DRAFT.value}),
            target=S.PROPOSED.value,
            by=TEAM,
            title="Propose for approval",
            button="Propose",
            help="Leadership above the team approves the goal's metric, target, measure and due date.",
            inputs=(m.text("note", max_length=5000, multiline=True),),
            done="proposed",
            notice="proposed for approval",
        ),
        m.Transition(
            "approve",
            sources=frozenset({S.PROPOSED.value}),
            target=S.APPROVED.value,
            by=LEADERSHIP,
            title="Approve the goal",
            button="Approve",
            help="Once approved, the metric, target, measure and due date are frozen; the team owns the how.",
            inputs=(m.text("note", max_length=5000, multiline=True),),
            effect=_decided("note"),
            done="approved",
            notice="approved",
        ),
        m.Transition(
            "return",
            sources=frozenset({S.PROPOSED.value}),
            target=S.DRAFT.value,
            by=LEADERSHIP,
            words="return",
            title="Return to the team",
            button="Return",
            help="Say what has to change; the goal goes back to draft.",
            inputs=(REASON,),
            effect=_decided("reason"),
            note="reason",
            done="returned to the team",
            notice="returned to the team",
            secondary=True,
        ),
        m.Transition(
            "revise",
            sources=frozenset({S.APPROVED.value}),
            target=S.DRAFT.value,
            by=TEAM,
            title="Revise (back to draft)",
            button="Revise",
            help="An approved goal's what is frozen: revising takes it back to draft, to be proposed again.",
            inputs=(REASON,),
            note="reason",
            done="taken back to draft to revise",
            notice="taken back to draft to revise",
            secondary=True,
        ),
        m.Transition(
            "achieve",
            sources=frozenset({S.APPROVED.value}),
            target=S.ACHIEVED.value,
            by=LEADERSHIP,
            title="Close as achieved",
            button="Achieved",
            help="The data at the due date shows the target met.",
            guard=_judged(S.ACHIEVED.value),
            done="closed as achieved",
            notice="achieved",
        ),
        m.Transition(
            "miss",
            sources=frozenset({S.APPROVED.value}),
            target=S.MISSED.value,
            by=LEADERSHIP,
            title="Close as missed",
            button="Missed",
            help="The data at the due date shows the target not met.",
            guard=_judged(S.MISSED.value),
            done="closed as missed",
            notice="missed",
        ),
        m.Transition(
            "drop",
            sources=frozenset({S.APPROVED.value}),
            target=S.DROPPED.value,
            by=LEADERSHIP,
            title="Drop the goal",
            button="Drop",
            inputs=(REASON,),
            effect=_decided("reason"),
            note="reason",
            done="dropped",
            notice="dropped",
            secondary=True,
        ),
    ),
)

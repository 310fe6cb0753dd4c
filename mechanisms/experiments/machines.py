"""The experiments app's declared machine (kernel/machines.py, docs/machines.md): an experiment.

    start           draft      -> running    the team: the plan freezes; assignment and exposures begin
    cancel          draft      -> cancelled  the team, saying why
    stop            running    -> stopped    the team (saying why), or the worker when the stop rule is met; a stop
                                             before the planned sample size (or end date) is an early stop
    decide          stopped    -> decided    the owner: ship a variation, keep the control, or iterate; refused
                                             (naming why) when the decision needs a bar-raiser review
    ask_review      stopped    -> in_review  the owner, with the same decision: a bar-raiser review is requested
                                             (bar_raisers); required for a high-impact experiment and whenever the
                                             decision goes against the engine's recommendation, the SRM check
                                             fired, a guardrail failed or the experiment stopped early
    conclude        in_review  -> decided    the product, when the owner accepts or overrides the bar raiser's
                                             recommendation (bar_raisers tells the app: on_response); an override
                                             stays visible to management
    reopen          in_review  -> stopped    the product, when the review is withdrawn, or the owner accepts a
                                             do-not-proceed (the decision is taken again)

Pure: no Django. The services build `ExperimentFacts` once per attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mechanisms.kernel import machines as m

from .contracts import Decision, ExperimentState

S = ExperimentState
TEAM = frozenset({"team"})
OWNER = frozenset({"owner"})
PRODUCT = frozenset({"product"})


@dataclass(frozen=True, slots=True)
class ExperimentFacts:
    """What the guards judge: the state; whether the plan is complete enough to start (`plan_problem`: why not);
    the variation keys; the recommendation's decision and variation; and the reasons a review is needed whatever
    the decision is (high impact, SRM, a failed guardrail, an early stop)."""

    state: str
    plan_problem: str | None = None
    variation_keys: tuple[str, ...] = ()
    recommended: str | None = None  # Decision value
    recommended_variation: str | None = None
    standing_review_reasons: tuple[str, ...] = ()
    has_final_analysis: bool = False


def review_reasons(facts: ExperimentFacts, values: Mapping[str, Any]) -> tuple[str, ...]:
    """Why the decision in `values` needs an independent bar-raiser review (MECHANISMS.md §4, §9): the standing
    reasons, plus going against the recommendation."""
    reasons = list(facts.standing_review_reasons)
    decision = values.get("decision")
    variation = values.get("variation") or None
    if facts.recommended is not None and (
        decision != facts.recommended or (decision == Decision.SHIP.value and variation != facts.recommended_variation)
    ):
        reasons.append("the decision goes against the engine's recommendation")
    return tuple(reasons)


def _startable(facts: ExperimentFacts) -> m.Refusal | None:
    if facts.plan_problem:
        return m.Refusal(f"the plan is not ready to start: {facts.plan_problem}", field="plan")
    return None


def _analysed(facts: ExperimentFacts) -> m.Refusal | None:
    if not facts.has_final_analysis:
        return m.Refusal("the decision reads the final analysis: analyse the experiment first", field="analysis")
    return None


def _decision_input(facts: ExperimentFacts, values: Mapping[str, Any]) -> m.Refusal | None:
    decision, variation = values.get("decision"), values.get("variation") or ""
    if decision == Decision.SHIP.value:
        if variation not in facts.variation_keys[1:]:
            choices = ", ".join(facts.variation_keys[1:])
            return m.Refusal(f"shipping names the variation to launch: one of {choices}", field="variation")
    elif variation:
        return m.Refusal("only a decision to ship names a variation", field="variation")
    return None


def _decide_rule(facts: ExperimentFacts, values: Mapping[str, Any]) -> m.Refusal | None:
    refusal = _decision_input(facts, values)
    if refusal is None and (reasons := review_reasons(facts, values)):
        return m.Refusal(
            "this decision needs an independent bar-raiser review first (ask for one): " + "; ".join(reasons),
            field="decision",
        )
    return refusal


# The effects (run by kernel.machine_apply inside the transaction) read the services' context: `ctx.actor`,
# `ctx.values`, `ctx.now`, `ctx.today`, `ctx.plan` (the current plan), `ctx.exposed` (units exposed so far) and
# `ctx.facts` (the ExperimentFacts judged).


def _started(ctx: Any) -> dict[str, Any]:
    return {"started_at": ctx.now}


def stopped_early(*, exposed: int, planned_sample_size: int, planned_end: Any, today: Any) -> bool:
    """A stop before the planned sample size is reached, or before the planned end date, is an early stop."""
    return (planned_sample_size > 0 and exposed < planned_sample_size) or (
        planned_end is not None and today < planned_end
    )


def _stopped(ctx: Any) -> dict[str, Any]:
    early = stopped_early(
        exposed=ctx.exposed,
        planned_sample_size=ctx.plan.planned_sample_size,
        planned_end=ctx.plan.planned_end,
        today=ctx.today,
    )
    return {"stopped_at": ctx.now, "stop_reason": ctx.values.get("reason", ""), "stopped_early": early}


def _decision_fields(ctx: Any) -> dict[str, Any]:
    return {
        "decision": ctx.values.get("decision") or "",
        "decision_variation": ctx.values.get("variation") or "",
        "decision_rationale": ctx.values.get("rationale", ""),
        "decided_by_id": ctx.actor.person_id,
        "review_reasons": list(review_reasons(ctx.facts, ctx.values)),
    }


def _decided(ctx: Any) -> dict[str, Any]:
    return {**_decision_fields(ctx), "decided_at": ctx.now}


def _concluded(ctx: Any) -> dict[str, Any]:
    return {"decided_at": ctx.now}


def _reopened(ctx: Any) -> dict[str, Any]:
    return {"decision": "", "decision_variation": "", "decision_rationale": "", "decided_by_id": None}


DECISION_INPUTS = (
    m.choice(
        "decision",
        (
            (Decision.SHIP.value, "Ship a variation"),
            (Decision.KEEP_CONTROL.value, "Keep the control"),
            (Decision.ITERATE.value, "Iterate (no launch)"),
        ),
        help="What happens now.",
    ),
    m.text("variation", max_length=80, help="The variation to launch (a decision to ship only)."),
    m.text("rationale", required=True, max_length=10000, multiline=True, help="Why, in the numbers' words."),
)
REASON = m.text("reason", required=True, max_length=5000, multiline=True, help="Why. Kept in the history.")

MACHINE = m.Machine(
    name="experiment",
    noun="experiment",
    states=(
        m.State(S.DRAFT.value),
        m.State(S.RUNNING.value),
        m.State(S.STOPPED.value, "stopped, waiting for the decision"),
        m.State(S.IN_REVIEW.value, "in bar-raiser review"),
        m.State(S.DECIDED.value),
        m.State(S.CANCELLED.value),
    ),
    initial=S.DRAFT.value,
    final=frozenset({S.DECIDED.value, S.CANCELLED.value}),
    parties={
        "team": "a member or the leader of the experiment's team",
        "owner": "the experiment's owner",
        "product": "the product (the worker or the bar-raiser review)",
    },
    transitions=(
        m.Transition(
            "start",
            sources=frozenset({S.DRAFT.value}),
            target=S.RUNNING.value,
            by=TEAM,
            title="Start the experiment",
            button="Start",
            help="The plan freezes: a later change is a new, reasoned plan version shown beside the results.",
            guard=_startable,
            inputs=(m.text("note", max_length=5000, multiline=True),),
            effect=_started,
            done="started",
            notice="started",
        ),
        m.Transition(
            "cancel",
            sources=frozenset({S.DRAFT.value}),
            target=S.CANCELLED.value,
            by=TEAM,
            title="Cancel the experiment",
            button="Cancel",
            inputs=(REASON,),
            note="reason",
            done="cancelled",
            notice="cancelled",
            secondary=True,
        ),
        m.Transition(
            "stop",
            sources=frozenset({S.RUNNING.value}),
            target=S.STOPPED.value,
            by=TEAM | PRODUCT,
            title="Stop the experiment",
            button="Stop",
            help="Assignment ends and the final analysis is taken. Stopping before the planned sample size is an "
            "early stop: the decision then needs a bar-raiser review.",
            inputs=(REASON,),
            note="reason",
            effect=_stopped,
            done="stopped",
            notice="stopped",
        ),
        m.Transition(
            "decide",
            sources=frozenset({S.STOPPED.value}),
            target=S.DECIDED.value,
            by=OWNER,
            title="Record the launch decision",
            button="Decide",
            guard=_analysed,
            inputs=DECISION_INPUTS,
            rule=_decide_rule,
            note="rationale",
            effect=_decided,
            done="decided",
            notice="decided",
        ),
        m.Transition(
            "ask_review",
            sources=frozenset({S.STOPPED.value}),
            target=S.IN_REVIEW.value,
            by=OWNER,
            words="ask for a review of",
            title="Ask a bar raiser to review the decision",
            button="Ask for review",
            help="An independent bar raiser reviews the decision before it takes effect.",
            guard=_analysed,
            inputs=DECISION_INPUTS,
            rule=_decision_input,
            note="rationale",
            effect=_decision_fields,
            done="sent to a bar raiser",
            notice="decision sent for a bar-raiser review",
        ),
        m.Transition(
            "conclude",
            sources=frozenset({S.IN_REVIEW.value}),
            target=S.DECIDED.value,
            by=PRODUCT,
            inputs=(m.text("note", max_length=5000, multiline=True),),
            effect=_concluded,
            done="decided after the bar-raiser review",
            notice="decided",
        ),
        m.Transition(
            "reopen",
            sources=frozenset({S.IN_REVIEW.value}),
            target=S.STOPPED.value,
            by=PRODUCT,
            inputs=(m.text("note", max_length=5000, multiline=True),),
            effect=_reopened,
            done="back to the decision",
            notice="back to the decision",
        ),
    ),
)

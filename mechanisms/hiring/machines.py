"""The hiring machines, declared once (MECHANISMS.md §5; the engine is kernel/machines.py, docs/machines.md).

From each declaration come the service apply, the API endpoints, the CLI commands and the page's action forms.

OPENING (`services.apply_opening_transition`):

    open     draft                -> open       a written job description (JOB_DESCRIPTION_MIN characters) and
                                                 at least one principle
    hold     open                 -> on_hold
    reopen   on_hold              -> open
    close    draft | open | on_hold -> closed   a reason
    (filled: not a party's move; `services.accept_offer` fills the opening when its candidate accepts)

Parties: `hiring_manager`, `recruiter` (hiring/policy.py), `admin`.

LOOP (`services.apply_loop_transition`):

    start          planning -> interviewing            hiring manager, recruiter   no loop problem (hiring/rules.py)
    open_debrief   interviewing -> debrief             bar raiser                  a reason while feedback is missing;
                                                                                   the service opens it by itself when
                                                                                   the last feedback is submitted
    decide         debrief -> offer | no_hire          hiring manager              a rationale, after the bar raiser's
                                                                                   recommendation; hire refused under
                                                                                   a veto
    withdraw       planning | interviewing | debrief -> withdrawn   hiring manager, recruiter   a reason

Parties: `hiring_manager`, `bar_raiser`, `recruiter`, `interviewer` (hiring/policy.py `loop_roles`).
Effects receive a context from services.py (`ctx.values`, `ctx.row`, `ctx.now`, `ctx.actor`,
`ctx.missing_feedback()`); this module stays free of Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mechanisms.kernel import machines as m

from .contracts import Decision, LoopParty, LoopState, OpeningState, Problem

JOB_DESCRIPTION_MIN = 200  # characters of a written job description before an opening may open (MECHANISMS.md §5)


@dataclass(frozen=True, slots=True)
class OpeningFacts:
    """What the opening's guards judge."""

    state: OpeningState
    job_description_length: int
    principle_count: int


def _open_guard(facts: OpeningFacts) -> m.Refusal | None:
    if facts.job_description_length < JOB_DESCRIPTION_MIN:
        return m.Refusal(
            f"write the job description first: at least {JOB_DESCRIPTION_MIN} characters "
            f"(it has {facts.job_description_length})",
            field="job_description",
        )
    if facts.principle_count < 1:
        return m.Refusal("choose at least one leadership principle to assess", field="principles")
    return None


def _today(ctx: Any, field: str) -> dict[str, Any]:
    return {field: ctx.today}


OS = OpeningState
STEWARDS = frozenset({"hiring_manager", "recruiter", "admin"})
REASON = m.text("reason", max_length=2000, help="Optional; kept in the history.", multiline=True)

OPENING = m.Machine(
    name="hiring_opening",
    noun="opening",
    states=(
        m.State(OS.DRAFT.value),
        m.State(OS.OPEN.value),
        m.State(OS.ON_HOLD.value, "on hold"),
        m.State(OS.FILLED.value),
        m.State(OS.CLOSED.value),
    ),
    initial=OS.DRAFT.value,
    final=frozenset({OS.FILLED.value, OS.CLOSED.value}),
    parties={
        "hiring_manager": "the hiring manager",
        "recruiter": "a recruiter of the opening",
        "admin": "an admin",
    },
    transitions=(
        m.Transition(
            "open",
            sources=frozenset({OS.DRAFT.value}),
            target=OS.OPEN.value,
            by=STEWARDS,
            title="Open the opening",
            button="Open",
            help="Loops may start once it is open. Needs a written job description and at least one principle.",
            guard=_open_guard,
            effect=lambda ctx: _today(ctx, "opened_on"),
            done="opened",
        ),
        m.Transition(
            "hold",
            sources=frozenset({OS.OPEN.value}),
            target=OS.ON_HOLD.value,
            by=STEWARDS,
            title="Put on hold",
            button="Hold",
            inputs=(REASON,),
            note="reason",
            done="put on hold",
            secondary=True,
        ),
        m.Transition(
            "reopen",
            sources=frozenset({OS.ON_HOLD.value}),
            target=OS.OPEN.value,
            by=STEWARDS,
            title="Reopen",
            button="Reopen",
            done="reopened",
        ),
        m.Transition(
            "close",
            sources=frozenset({OS.DRAFT.value, OS.OPEN.value, OS.ON_HOLD.value}),
            target=OS.CLOSED.value,
            by=STEWARDS,
            title="Close the opening",
            button="Close",
            inputs=(m.text("reason", max_length=2000, required=True, help="Kept in the history.", multiline=True),),
            note="reason",
            effect=lambda ctx: _today(ctx, "closed_on"),
            done="closed",
            secondary=True,
        ),
    ),
)

# The transition `accept_offer` writes itself (not a party's move): an accepted offer fills the opening.
FILL = m.Transition(
    "fill", sources=frozenset({OS.OPEN.value, OS.ON_HOLD.value}), target=OS.FILLED.value, by=frozenset()
)


# --- loops

L = LoopState
HM, BR, REC = LoopParty.HIRING_MANAGER.value, LoopParty.BAR_RAISER.value, LoopParty.RECRUITER.value


@dataclass(frozen=True, slots=True)
class LoopMachineFacts:
    """What the loop's guards judge: its state, the loop rules it breaks now (planning), how much feedback is
    still missing, and the bar raiser's recommendation (a do-not-proceed is a veto)."""

    state: str
    problems: tuple[Problem, ...] = ()
    missing_feedback: int = 0
    submitted_feedback: int = 0
    recommendation: str = ""
    vetoed: bool = False


def _no_loop_problems(facts: LoopMachineFacts) -> m.Refusal | None:
    if facts.problems:
        first = facts.problems[0]
        more = f" (and {len(facts.problems) - 1} more)" if len(facts.problems) > 1 else ""
        return m.Refusal(f"{first.rule}: {first.message}{more}", field=first.field)
    return None


def _some_feedback(facts: LoopMachineFacts) -> m.Refusal | None:
    if facts.submitted_feedback == 0:
        return m.Refusal("no feedback has been submitted yet; the debrief opens on written feedback", field="feedback")
    return None


def _reason_when_early(facts: LoopMachineFacts, values: Any) -> m.Refusal | None:
    if facts.missing_feedback and not values["reason"]:
        return m.Refusal(
            f"{facts.missing_feedback} feedback still missing: say why the debrief opens before it is all in",
            field="reason",
        )
    return None


def _recommended(facts: LoopMachineFacts) -> m.Refusal | None:
    if not facts.recommendation:
        return m.Refusal("the bar raiser has not recommended yet; the decision follows the recommendation")
    return None


def _no_hire_under_veto(facts: LoopMachineFacts, values: Any) -> m.Refusal | None:
    if values["decision"] == Decision.HIRE.value and facts.vetoed:
        return m.Refusal("veto: the bar raiser recommended do not proceed, which blocks an offer", field="decision")
    return None


def _open_debrief(ctx: Any) -> dict[str, Any]:
    return {
        "debrief_opened_at": ctx.now,
        "debrief_opened_early": ctx.missing_feedback() > 0,
        "debrief_open_reason": ctx.values.get("reason", ""),
    }


def _decide(ctx: Any) -> dict[str, Any]:
    return {
        "decision": ctx.values["decision"],
        "decision_rationale": ctx.values["rationale"],
        "decided_at": ctx.now,
        "decided_by_id": ctx.actor.person_id,
    }


LOOP = m.Machine(
    name="hiring_loop",
    noun="loop",
    states=(
        m.State(L.PLANNING.value, "planning"),
        m.State(L.INTERVIEWING.value, "interviewing"),
        m.State(L.DEBRIEF.value, "in debrief"),
        m.State(L.OFFER.value, "offer"),
        m.State(L.NO_HIRE.value, "no hire"),
        m.State(L.WITHDRAWN.value, "withdrawn"),
    ),
    initial=L.PLANNING.value,
    final=frozenset({L.OFFER.value, L.NO_HIRE.value, L.WITHDRAWN.value}),
    parties={
        HM: "the hiring manager",
        BR: "the loop's bar raiser",
        REC: "the recruiter",
        LoopParty.INTERVIEWER.value: "an interviewer",
    },
    transitions=(
        m.Transition(
            "start",
            sources=frozenset({L.PLANNING.value}),
            target=L.INTERVIEWING.value,
            by=frozenset({HM, REC}),
            title="Start the loop",
            button="Start",
            help="Checks the loop rules (coverage, the bar raiser, would-be reports); feedback is sealed from now on.",
            guard=_no_loop_problems,
            done="started: interviews under way, feedback sealed",
            notice="{title}: the loop started",
        ),
        m.Transition(
            "open_debrief",
            sources=frozenset({L.INTERVIEWING.value}),
            target=L.DEBRIEF.value,
            by=frozenset({BR}),
            title="Open the debrief",
            button="Open the debrief",
            help="It opens by itself when the last feedback is submitted; before that, say why.",
            inputs=(m.text("reason", max_length=5000, help="Required while feedback is missing.", multiline=True),),
            guard=_some_feedback,
            rule=_reason_when_early,
            effect=_open_debrief,
            note="reason",
            done="debrief opened",
            notice="{title}: the debrief is open",
        ),
        m.Transition(
            "decide",
            sources=frozenset({L.DEBRIEF.value}),
            target=lambda v: L.OFFER.value if v["decision"] == Decision.HIRE.value else L.NO_HIRE.value,
            by=frozenset({HM}),
            title="Decide",
            button="Record the decision",
            help="A human makes the call. Going against the bar raiser's approval is an override, told up the chain.",
            inputs=(
                m.choice("decision", ((Decision.HIRE.value, "Hire"), (Decision.NO_HIRE.value, "No hire"))),
                m.text("rationale", required=True, max_length=20000, multiline=True, help="Why. Markdown."),
            ),
            guard=_recommended,
            rule=_no_hire_under_veto,
            effect=_decide,
            note="decision",
            done={L.OFFER.value: "decided: hire", L.NO_HIRE.value: "decided: no hire"},
            notice={L.OFFER.value: "{title}: decided, offer", L.NO_HIRE.value: "{title}: decided, no hire"},
        ),
        m.Transition(
            "withdraw",
            sources=frozenset({L.PLANNING.value, L.INTERVIEWING.value, L.DEBRIEF.value}),
            target=L.WITHDRAWN.value,
            by=frozenset({HM, REC}),
            title="Withdraw the loop",
            button="Withdraw",
            help="The candidate withdrew or the opening closed before a decision.",
            inputs=(m.text("reason", required=True, max_length=5000, multiline=True),),
            note="reason",
            done="withdrawn",
            notice="{title}: the loop was withdrawn",
            secondary=True,
        ),
    ),
)

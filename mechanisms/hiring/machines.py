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

LOOP (`loops`) follows below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mechanisms.kernel import machines as m

from .contracts import OpeningState

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


# --- loops: LOOP below

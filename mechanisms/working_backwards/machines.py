"""The PR/FAQ's review in widening circles, declared once (MECHANISMS.md §6; the engine is kernel/machines.py,
docs/machines.md). From it come services.apply_transition, the API endpoints (`POST /prfaqs/{id}/<slug>`), the CLI
commands (`mech prfaqs <slug>`), the page's forms and its "what you can do now".

    submit    draft -> in_review (circle 2)                 the author; the core paragraphs written, a circle-2
                                                            reviewer named
    advance   in_review at circle n -> in_review at n+1      a reviewer of circle n; n < 4; a reviewer named in n+1
    approve   in_review at circle 4 -> approved              a reviewer of circle 4; a mockup attached; when high
                                                            impact, its bar-raiser review accepted or overridden
    shelve    draft | in_review -> shelved                   the author or a reviewer of the current circle; a reason
                                                            from the taxonomy (a note for "other")

Guards judge `rules.PrFaqFacts` only (computed by services from the row, its current revision, its members, its
attachments and its bar-raiser review), so a page offers only what will pass. The effects return field changes; the
record hook in services.py writes the circle stays, the audit record, the bar-raiser request and the notices.
"""

from __future__ import annotations

from typing import Any

from mechanisms.kernel import machines as m

from .contracts import CIRCLE_WORDS, SHELVE_REASON_WORDS, Circle, PrFaqState, ShelveReason
from .rules import PrFaqFacts

S = PrFaqState
AUTHOR = frozenset({"author"})
REVIEWER = frozenset({"reviewer"})
LAST = int(Circle.TOP)


def _submit_guard(f: PrFaqFacts) -> m.Refusal | None:
    if f.missing_core:
        return m.Refusal(
            "a PR/FAQ cannot leave draft without its three core paragraphs (customer, problem, solution); missing: "
            + ", ".join(f.missing_core),
            field="parts",
        )
    if int(Circle.SMALL_GROUP) not in f.reviewed_circles:
        return m.Refusal("name a reviewer of circle 2 (a small group) before submitting", field="circle_2")
    return None


def _advance_guard(f: PrFaqFacts) -> m.Refusal | None:
    if f.circle >= LAST:
        return m.Refusal("circle 4 is the last circle: approve it for staffing or shelve it", field="circle")
    if f.circle + 1 not in f.reviewed_circles:
        words = CIRCLE_WORDS[Circle(f.circle + 1)]
        return m.Refusal(
            f"name a reviewer of circle {f.circle + 1} ({words}) before advancing to it", field=f"circle_{f.circle + 1}"
        )
    return None


def _approve_guard(f: PrFaqFacts) -> m.Refusal | None:
    if f.circle != LAST:
        return m.Refusal(
            f"only circle 4 (the top) approves a PR/FAQ for staffing; it is in circle {f.circle}", field="circle"
        )
    if f.mockups < 1:
        return m.Refusal("a PR/FAQ is approved for staffing only with a mockup attached", field="mockups")
    if f.high_impact and f.review not in ("accepted", "overridden"):
        why = {
            "": "it has no bar-raiser review",
            "open": "its bar-raiser review is not answered yet",
            "rejected": "its bar raiser's do-not-proceed was accepted",
        }.get(f.review, f"its bar-raiser review is {f.review}")
        return m.Refusal(
            f"a high-impact PR/FAQ is approved only after its bar-raiser review is accepted or overridden: {why}",
            field="bar_raiser_review",
        )
    return None


def _shelve_rule(_f: PrFaqFacts, v: Any) -> m.Refusal | None:
    if v["reason"] == ShelveReason.OTHER.value and not v["note"]:
        return m.Refusal("say why in the note when the reason is 'other'", field="note")
    return None


def _advance(ctx: Any) -> dict[str, Any]:
    return {"circle": ctx.row.circle + 1}


def _approve(ctx: Any) -> dict[str, Any]:
    return {"approved_at": ctx.now, "approved_by_id": ctx.actor.person_id}


def _shelve(ctx: Any) -> dict[str, Any]:
    return {
        "shelve_reason": ctx.values["reason"],
        "shelve_note": ctx.values["note"],
        "shelved_at": ctx.now,
        "shelved_by_id": ctx.actor.person_id,
    }


MACHINE = m.Machine(
    name="prfaq",
    noun="PR/FAQ",
    states=(
        m.State(S.DRAFT.value, "draft (circle 1: the author)"),
        m.State(S.IN_REVIEW.value, "in review"),
        m.State(S.APPROVED.value, "approved for staffing"),
        m.State(S.SHELVED.value, "shelved"),
    ),
    initial=S.DRAFT.value,
    final=frozenset({S.APPROVED.value, S.SHELVED.value}),
    parties={"author": "the author", "reviewer": "a reviewer of the current circle"},
    transitions=(
        m.Transition(
            "submit",
            sources=frozenset({S.DRAFT.value}),
            target=S.IN_REVIEW.value,
            by=AUTHOR,
            title="Submit to circle 2",
            button="Submit for review",
            help="Circle 2 (a small group) reads it, comments, and its reviewer advances or shelves it.",
            inputs=(m.text("note", max_length=2000, help="Optional; kept in the history.", multiline=True),),
            guard=_submit_guard,
            effect=lambda ctx: {"circle": int(Circle.SMALL_GROUP)},
            done="submitted it to circle 2",
            notice="a PR/FAQ reached your circle",
        ),
        m.Transition(
            "advance",
            sources=frozenset({S.IN_REVIEW.value}),
            target=S.IN_REVIEW.value,
            by=REVIEWER,
            title="Advance to the next circle",
            button="Advance",
            help="The next, wider circle can read it from now on.",
            inputs=(m.text("note", max_length=2000, help="Optional; kept in the history.", multiline=True),),
            guard=_advance_guard,
            effect=_advance,
            done="advanced it",
            notice="a PR/FAQ reached your circle",
        ),
        m.Transition(
            "approve",
            sources=frozenset({S.IN_REVIEW.value}),
            target=S.APPROVED.value,
            by=REVIEWER,
            title="Approve for staffing",
            button="Approve for staffing",
            help="Only from circle 4, with a mockup attached (and, when high impact, its bar-raiser review answered).",
            inputs=(m.text("note", max_length=2000, help="Optional; kept in the history.", multiline=True),),
            guard=_approve_guard,
            effect=_approve,
            done="approved it for staffing",
            notice="a PR/FAQ was approved for staffing",
        ),
        m.Transition(
            "shelve",
            sources=frozenset({S.DRAFT.value, S.IN_REVIEW.value}),
            target=S.SHELVED.value,
            by=AUTHOR | REVIEWER,
            title="Shelve",
            button="Shelve",
            help="Shelving is a healthy outcome: the funnel counts why ideas stop.",
            inputs=(
                m.choice("reason", tuple((r.value, SHELVE_REASON_WORDS[r]) for r in ShelveReason)),
                m.text("note", max_length=2000, help="Required when the reason is 'other'.", multiline=True),
            ),
            rule=_shelve_rule,
            effect=_shelve,
            done="shelved it",
            notice="a PR/FAQ was shelved",
            secondary=True,
        ),
    ),
)

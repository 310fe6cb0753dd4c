"""The bar-raiser review, declared once (MECHANISMS.md §4; the engine is kernel/machines.py, docs/machines.md).

From this declaration come the service apply (services.apply_review_transition and one thin function per
transition), the API endpoints (`POST /bar-raisers/reviews/{id}/<slug>`), the CLI commands (`mech bar-raisers
<slug>`), the review page's forms and its "what you can do now" list.

    request    (new)                     -> requested     the owning app, for the owner (services.request_review)
    reassign   requested                 -> requested     the owning app: another bar raiser (services.reassign_review)
    recommend  requested                 -> recommended   the assigned bar raiser: a recommendation and reasoning
    accept     recommended               -> accepted      the owner
    override   recommended               -> overridden    the owner, with a rationale; refused for a do-not-proceed
                                                          when the subject kind is not overridable (a hiring veto,
                                                          a waiver)
    withdraw   requested | recommended   -> withdrawn     the owner, with a reason

The owning app may hold the recommendation until its moment (hiring: once the debrief is open): the facts carry
its refusal (`held`) and the recommend guard answers with it, so a page never offers it early.
"""

from __future__ import annotations

from dataclasses import dataclass

from mechanisms.kernel import machines as m

from .contracts import Recommendation, ReviewState

S = ReviewState
BAR_RAISER, OWNER = "bar_raiser", "owner"

RECOMMENDATIONS = (
    (Recommendation.APPROVE.value, "Approve"),
    (Recommendation.APPROVE_WITH_CONCERNS.value, "Approve with concerns"),
    (Recommendation.DO_NOT_PROCEED.value, "Do not proceed"),
)
RECOMMENDATION_WORDS = dict(RECOMMENDATIONS)


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """What the guards judge: the state, the recommendation written, whether the subject kind lets its owner go
    against a do-not-proceed, and why the owning app holds the recommendation now ("" when it does not)."""

    state: ReviewState
    recommendation: Recommendation | None
    overridable: bool
    held: str = ""


def _not_held(facts: ReviewFacts) -> m.Refusal | None:
    return m.Refusal(facts.held, field="recommendation") if facts.held else None


def _overridable(facts: ReviewFacts) -> m.Refusal | None:
    if facts.recommendation is Recommendation.DO_NOT_PROCEED and not facts.overridable:
        return m.Refusal(
            "a do-not-proceed recommendation on this kind of subject cannot be overridden: it stands",
            field="response",
        )
    return None


REQUEST = m.Transition(
    "request",
    sources=frozenset(),
    target=S.REQUESTED.value,
    by=frozenset({OWNER}),
    title="Request a bar-raiser review",
    done="requested a review",
)

# The owning app's own move, not a party's: a new bar raiser on a review still waiting for its recommendation (the
# pool's assign picked or checked them; services.reassign_review).
REASSIGN = m.Transition(
    "reassign",
    sources=frozenset({S.REQUESTED.value}),
    target=S.REQUESTED.value,
    by=frozenset({OWNER}),
    title="Change the bar raiser",
    done="changed the bar raiser",
)

MACHINE = m.Machine(
    name="bar_raiser_review",
    noun="review",
    states=(
        m.State(S.REQUESTED.value, "waiting for the bar raiser's recommendation"),
        m.State(S.RECOMMENDED.value, "waiting for the owner's response"),
        m.State(S.ACCEPTED.value, "accepted"),
        m.State(S.OVERRIDDEN.value, "overridden"),
        m.State(S.WITHDRAWN.value, "withdrawn"),
    ),
    initial=S.REQUESTED.value,
    final=frozenset({S.ACCEPTED.value, S.OVERRIDDEN.value, S.WITHDRAWN.value}),
    parties={BAR_RAISER: "the assigned bar raiser", OWNER: "the subject's owner"},
    transitions=(
        m.Transition(
            "recommend",
            sources=frozenset({S.REQUESTED.value}),
            target=S.RECOMMENDED.value,
            by=frozenset({BAR_RAISER}),
            title="Write your recommendation",
            button="Recommend",
            help="Approve, approve with concerns, or do not proceed, with your written reasoning.",
            inputs=(
                m.choice("recommendation", RECOMMENDATIONS),
                m.text(
                    "reasoning",
                    required=True,
                    max_length=20000,
                    help="Why: what you looked at and what it means. Markdown.",
                    multiline=True,
                ),
            ),
            guard=_not_held,
            effect=lambda ctx: {
                "recommendation": ctx.values["recommendation"],
                "reasoning": ctx.values["reasoning"],
                "recommended_at": ctx.now,
            },
            note="recommendation",
            done="recommended",
            notice="the bar raiser recommended",
        ),
        m.Transition(
            "accept",
            sources=frozenset({S.RECOMMENDED.value}),
            target=S.ACCEPTED.value,
            by=frozenset({OWNER}),
            title="Accept the recommendation",
            button="Accept",
            inputs=(m.text("note", help="Optional; kept in the timeline.", multiline=True),),
            effect=lambda ctx: {
                "response": "accepted",
                "rationale": ctx.values["note"],
                "responded_at": ctx.now,
                "responded_by_id": ctx.actor.person_id,
            },
            done="accepted the recommendation",
            notice="the owner accepted the recommendation",
        ),
        m.Transition(
            "override",
            sources=frozenset({S.RECOMMENDED.value}),
            target=S.OVERRIDDEN.value,
            by=frozenset({OWNER}),
            title="Override: go against the recommendation",
            button="Override",
            help="Your rationale is recorded; your management chain is told of the override and it appears in "
            "their overrides report.",
            inputs=(
                m.text(
                    "rationale",
                    required=True,
                    max_length=20000,
                    help="Why you go against the recommendation. Markdown.",
                    multiline=True,
                ),
            ),
            guard=_overridable,
            effect=lambda ctx: {
                "response": "overridden",
                "rationale": ctx.values["rationale"],
                "responded_at": ctx.now,
                "responded_by_id": ctx.actor.person_id,
            },
            note="rationale",
            done="overrode the recommendation",
            notice="overridden",
            secondary=True,
        ),
        m.Transition(
            "withdraw",
            sources=frozenset({S.REQUESTED.value, S.RECOMMENDED.value}),
            target=S.WITHDRAWN.value,
            by=frozenset({OWNER}),
            title="Withdraw the review",
            button="Withdraw",
            help="The subject went away; the bar raiser's assignment is released.",
            inputs=(m.text("reason", required=True, multiline=True, help="Kept in the timeline."),),
            effect=lambda ctx: {"responded_at": ctx.now, "responded_by_id": ctx.actor.person_id},
            note="reason",
            done="withdrew the review",
            notice="the review was withdrawn",
            secondary=True,
        ),
    ),
)

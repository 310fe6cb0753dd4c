"""The away-team request, declared once (MECHANISMS.md §3; the engine is kernel/machines.py, docs/machines.md).

From this declaration come the service apply (services.apply_transition and one thin function per transition),
the API endpoints (`POST /away-requests/{id}/<slug>`), the CLI commands (`mech away <slug>`), the request page's
forms and its "what you can do now" list. Nothing else lists the transitions.

    file             (new)                                          -> filed         requesting team
    accept           filed                                          -> accepted      home team
    build_at_home    filed                                          -> home_builds   home team
    decline          filed                                          -> declined      home team
    escalate         declined | accepted | in_progress (once)       -> escalated     requesting team
    decide           escalated                  -> home_builds (reshuffle) | declined   deciding manager
    duplicate        filed (overdue) | declined | accepted | in_progress | in_review | approved -> duplicated  req. team
    start            accepted                                       -> in_progress   requesting team
    submit           in_progress                                    -> in_review     requesting team
    review           in_review                  -> approved | in_progress (changes requested)   home team
    hand_off         approved (tests, docs, runbook ticked)         -> handed_off    requesting team
    accept_hand_off  handed_off                                     -> warranty      home team
    complete         home_builds                                    -> closed        home team
    close            warranty (warranty over)                       -> closed        either team
    withdraw         any open state before the hand-off             -> withdrawn     requesting team

The checklist (tests, docs, runbook) is the hand-off's guard, where MECHANISMS.md §3 puts it: submitting for review
asks for the home team's eyes, not for a promise; the review's approval is a state of its own (`approved`), so the
hand-off is offered only after it and the reviewer is not offered Approve twice.

Effects receive a context from services.py (`ctx.values`, `ctx.row`, `ctx.now`, `ctx.today` and the app's reads:
`ctx.home_people()`, `ctx.lowest_common_manager()`, `ctx.team_service(id)`, `ctx.warranty_days`); this module
itself stays free of Django and of the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mechanisms.kernel import machines as m
from mechanisms.kernel.errors import RuleViolation

from .contracts import Decision, Party, RequestState, state_words
from .rules import RequestFacts

S = RequestState
REQ, HOME, DECIDER = (
    frozenset({Party.REQUESTING.value}),
    frozenset({Party.HOME.value}),
    frozenset({Party.DECIDER.value}),
)
EITHER = REQ | HOME
BEFORE_HAND_OFF = frozenset(
    s.value
    for s in (S.FILED, S.ACCEPTED, S.HOME_BUILDS, S.DECLINED, S.ESCALATED, S.IN_PROGRESS, S.IN_REVIEW, S.APPROVED)
)

NOTE = m.text("note", help="Optional; kept in the timeline.", multiline=True)
REASON = m.text("reason", required=True, help="Kept in the timeline. Markdown.", multiline=True)
EFFORT = m.number("effort_days", ge=0, le=10000, label="Your expected effort (days)", help="Counts in your team's tax.")


def _answered(ctx: Any, answer: str, **more: Any) -> dict[str, Any]:
    return {"answer": answer, "answered_at": ctx.now, **more}


def _accept(ctx: Any) -> dict[str, Any]:
    if ctx.values["contact_id"] not in ctx.home_people():
        raise RuleViolation("the point of contact must be a member of the home team", field="contact_id")
    v = ctx.values
    return _answered(ctx, "accept", contact_id=v["contact_id"], standards=v["standards"], effort_days=v["effort_days"])


def _duplicate(ctx: Any) -> dict[str, Any]:
    service_id = ctx.values["duplicate_service_id"]
    service = ctx.team_service(service_id)
    if service is None:
        raise RuleViolation(f"service {service_id} does not exist", field="duplicate_service_id")
    if service.owner_team_id != ctx.row.requesting_team_id:
        raise RuleViolation("the duplicate must be a service your team owns", field="duplicate_service_id")
    return {"duplicate_service_id": service.id, "closed_at": ctx.now, "outcome": f"duplicated in {service.name}"[:300]}


def _not_escalated_before(facts: RequestFacts) -> m.Refusal | None:
    if facts.escalated_before:
        return m.Refusal("this request was escalated once and decided; it cannot be escalated again")
    return None


def _answered_or_overdue(facts: RequestFacts) -> m.Refusal | None:
    if facts.state is S.FILED and not facts.overdue:
        return m.Refusal(
            "the home team still has time to answer; duplicate after an answer or once the answer is overdue"
        )
    return None


def _warranty_over(facts: RequestFacts) -> m.Refusal | None:
    if not facts.warranty_over:
        return m.Refusal("the warranty period is not over yet; the requesting team stays on call until it ends")
    return None


def _changes_say_what(facts: RequestFacts, values: Any) -> m.Refusal | None:
    if not values["approved"] and not values["note"]:
        return m.Refusal("say what has to change when you request changes", field="note")
    return None


def _warranty(ctx: Any) -> dict[str, Any]:
    return {"warranty_until": ctx.today + dt.timedelta(days=ctx.warranty_days)}


MACHINE = m.Machine(
    name="away_request",
    noun="request",
    states=tuple(m.State(s.value, state_words(s.value)) for s in S),  # in the order of the contract's enum
    initial=S.FILED.value,
    final=frozenset({S.CLOSED.value, S.DUPLICATED.value, S.WITHDRAWN.value}),
    parties={
        Party.REQUESTING.value: "a member of the requesting team",
        Party.HOME.value: "a member of the home team",
        Party.DECIDER.value: "the deciding manager (the lowest common manager of both teams' leaders)",
    },
    transitions=(
        m.Transition(
            "accept",
            sources=frozenset({S.FILED.value}),
            target=S.ACCEPTED.value,
            by=HOME,
            title="Accept: the requesting team builds it in your code",
            button="Accept",
            help="Name your point of contact and the engineering standards to follow.",
            inputs=(
                m.ref(
                    "contact_id", "person", label="Point of contact", help="A member of your team.", cli=("--contact",)
                ),
                m.text(
                    "standards",
                    required=True,
                    max_length=20000,
                    label="Engineering standards to follow",
                    help="Your coding, testing and review standards, or where they are written. Markdown.",
                    multiline=True,
                ),
                EFFORT,
                NOTE,
            ),
            effect=_accept,
            done="accepted: the requesting team builds it",
            notice="{home} accepted: {requesting} builds it",
        ),
        m.Transition(
            "build_at_home",
            sources=frozenset({S.FILED.value}),
            target=S.HOME_BUILDS.value,
            by=HOME,
            words="answer 'we build it' to",
            title="Build it yourselves",
            button="We build it ourselves",
            help="Your team puts the change on its own roadmap.",
            inputs=(EFFORT, NOTE),
            effect=lambda ctx: _answered(ctx, "build_at_home", effort_days=ctx.values["effort_days"]),
            done="answered: we build it ourselves",
            notice="{home} will build it on its own roadmap",
        ),
        m.Transition(
            "decline",
            sources=frozenset({S.FILED.value}),
            target=S.DECLINED.value,
            by=HOME,
            title="Decline",
            button="Decline",
            help="With a reason the requesting team can act on: it may escalate or duplicate.",
            inputs=(REASON,),
            note="reason",
            effect=lambda ctx: _answered(ctx, "decline", decline_reason=ctx.values["reason"]),
            done="declined",
            notice="{home} declined",
        ),
        m.Transition(
            "decide",
            sources=frozenset({S.ESCALATED.value}),
            target=lambda v: S.HOME_BUILDS.value if v["decision"] == Decision.RESHUFFLE.value else S.DECLINED.value,
            by=DECIDER,
            title="Decide the escalation",
            button="Record the decision",
            help="You are the lowest common manager of both teams' leaders.",
            inputs=(
                m.choice(
                    "decision",
                    (
                        (Decision.RESHUFFLE.value, "Reshuffle the home team's roadmap: it builds the change"),
                        (Decision.KEEP_ROADMAP.value, "Keep the home team's roadmap: the request stays declined"),
                    ),
                ),
                m.text("reason", required=True, help="Why; kept in the timeline. Markdown.", multiline=True),
            ),
            note="reason",
            effect=lambda ctx: {"decision": ctx.values["decision"], "decision_reason": ctx.values["reason"]},
            done={S.HOME_BUILDS.value: "decided: reshuffle the roadmap", S.DECLINED.value: "decided: keep the roadmap"},
            notice={
                S.HOME_BUILDS.value: "escalation decided: reshuffle",
                S.DECLINED.value: "escalation decided: keep roadmap",
            },
        ),
        m.Transition(
            "start",
            sources=frozenset({S.ACCEPTED.value}),
            target=S.IN_PROGRESS.value,
            by=REQ,
            words="start building",
            title="Start building",
            button="Start building",
            inputs=(NOTE,),
            done="started building",
            notice="{requesting} started building",
        ),
        m.Transition(
            "submit",
            sources=frozenset({S.IN_PROGRESS.value}),
            target=S.IN_REVIEW.value,
            by=REQ,
            words="submit for review",
            title="Submit for review",
            button="Submit for review",
            help="The home team reviews the change against its standards; the hand-off checklist comes after.",
            inputs=(NOTE,),
            effect=lambda ctx: {"review_approved": False},
            done="submitted for review",
            notice="{requesting} asks {home} for a review",
        ),
        m.Transition(
            "review",
            sources=frozenset({S.IN_REVIEW.value}),
            target=lambda v: S.APPROVED.value if v["approved"] else S.IN_PROGRESS.value,
            by=HOME,
            title="Review the change",
            help="Approve it, or say what has to change.",
            inputs=(
                m.boolean("approved", required=True, cli=("--approve/--request-changes",)),
                m.text("note", help="What to change, when you request changes.", multiline=True),
            ),
            rule=_changes_say_what,
            effect=lambda ctx: {"review_approved": ctx.values["approved"]},
            done={S.APPROVED.value: "approved the change", S.IN_PROGRESS.value: "requested changes"},
            notice={S.APPROVED.value: "review approved", S.IN_PROGRESS.value: "changes requested"},
            buttons=(("approve", "Approve", {"approved": True}), ("changes", "Request changes", {"approved": False})),
        ),
        m.Transition(
            "hand_off",
            sources=frozenset({S.APPROVED.value}),
            target=S.HANDED_OFF.value,
            by=REQ,
            words="hand off",
            title="Hand off",
            button="Hand off",
            help="Only with the code in good order: tests, docs and runbook (the home team's review is approved).",
            inputs=(
                m.tick("tests", "tests written and passing"),
                m.tick("docs", "documentation updated"),
                m.tick("runbook", "runbook updated"),
                m.text(
                    "downstream_impact",
                    label="Downstream impact",
                    help="Who benefits and how; a declared impact earns your team credit.",
                    cli=("--impact",),
                    multiline=True,
                ),
                NOTE,
            ),
            effect=lambda ctx: {
                "tests_done": True,
                "docs_done": True,
                "runbook_done": True,
                "downstream_impact": ctx.values["downstream_impact"],
                "handed_off_at": ctx.now,
            },
            done="handed off",
            notice="{requesting} handed off; {home} to accept",
        ),
        m.Transition(
            "accept_hand_off",
            sources=frozenset({S.HANDED_OFF.value}),
            target=S.WARRANTY.value,
            by=HOME,
            words="accept the hand-off of",
            title="Accept the hand-off",
            button="Accept the hand-off",
            help="Your team takes over maintenance; the requesting team stays on call for the warranty period.",
            inputs=(NOTE,),
            effect=_warranty,
            done="accepted the hand-off",
            notice="{home} took over maintenance; warranty until {warranty_until}",
        ),
        m.Transition(
            "complete",
            sources=frozenset({S.HOME_BUILDS.value}),
            target=S.CLOSED.value,
            by=HOME,
            title="Shipped",
            button="Mark as shipped",
            help="Your team shipped the change it built itself.",
            inputs=(NOTE,),
            effect=lambda ctx: {"closed_at": ctx.now, "outcome": "built by the home team"},
            done="shipped it",
            notice="{home} shipped it",
        ),
        m.Transition(
            "close",
            sources=frozenset({S.WARRANTY.value}),
            target=S.CLOSED.value,
            by=EITHER,
            title="Close",
            button="Close",
            help="The warranty period is over.",
            inputs=(NOTE,),
            guard=_warranty_over,
            effect=lambda ctx: {"closed_at": ctx.now, "outcome": "handed off; warranty over"},
            done="closed",
            notice="closed",
        ),
        m.Transition(
            "escalate",
            sources=frozenset({S.DECLINED.value, S.ACCEPTED.value, S.IN_PROGRESS.value}),
            target=S.ESCALATED.value,
            by=REQ,
            title="Escalate",
            button="Escalate",
            help="A roadmap discussion owned by the lowest common manager of both teams' leaders, who decides. Once.",
            inputs=(REASON,),
            note="reason",
            guard=_not_escalated_before,
            effect=lambda ctx: {"escalation_reason": ctx.values["reason"], "decider_id": ctx.lowest_common_manager()},
            done="escalated",
            notice="{requesting} escalated; a manager decides",
            secondary=True,
        ),
        m.Transition(
            "duplicate",
            sources=BEFORE_HAND_OFF - {S.HOME_BUILDS.value, S.ESCALATED.value},
            target=S.DUPLICATED.value,
            by=REQ,
            title="Duplicate in a service of your own",
            button="Duplicate",
            help="Legitimate and recorded, linked to this request; never counted against anyone.",
            inputs=(
                m.ref(
                    "duplicate_service_id",
                    "service",
                    label="Your team's service",
                    help="Where you build it instead.",
                    cli=("--service",),
                ),
                m.text("reason", help="Optional; kept in the timeline.", multiline=True),
            ),
            note="reason",
            guard=_answered_or_overdue,
            effect=_duplicate,
            done="duplicated it in a service of its own",
            notice="{requesting} duplicates it in a service of its own",
            secondary=True,
        ),
        m.Transition(
            "withdraw",
            sources=BEFORE_HAND_OFF,
            target=S.WITHDRAWN.value,
            by=REQ,
            title="Withdraw",
            button="Withdraw",
            help="Your team no longer needs the change.",
            inputs=(REASON,),
            note="reason",
            effect=lambda ctx: {"closed_at": ctx.now, "outcome": "withdrawn: " + ctx.values["reason"][:280]},
            done="withdrew",
            notice="{requesting} withdrew",
            secondary=True,
        ),
    ),
)

# Not a party's move: the dissolve and transfer workflows re-route an open request (it keeps its state).
REROUTE = m.Transition(
    "reroute",
    sources=MACHINE.open_states,
    target=S.FILED.value,  # unused: a re-routed request keeps its state (services._reroute says so)
    by=frozenset(),
    done="re-routed",
    notice="re-routed: {requesting} asks {home}",
)
FILE = m.Transition("file", sources=frozenset(), target=S.FILED.value, by=REQ, done="filed the request")

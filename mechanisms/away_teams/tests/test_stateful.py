"""A hypothesis state machine drives random sequences of transitions by random actors through the services
(issue 4): no illegal transition is ever accepted, every accepted one lands in the audit log and the timeline,
and a refused one changes nothing.

The oracle below is written from MECHANISMS.md §3 and the issue, independently of ``away_teams.rules``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from mechanisms.audit import services as audit_services
from mechanisms.away_teams import services as away
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, PermissionDenied, RuleViolation

SYSTEM = Actor.system("oracle")
# Who each handle is for a request filed by checkout on payments-api (small_org): ann and vp-retail report
# chains meet at vp-retail, the deciding manager; gus (identity) and the admin are on neither side.
SIDES = {
    "bob": "requesting",
    "ann": "requesting",
    "eve": "home",
    "dan": "home",
    "vp-retail": "decider",
    "gus": None,
    "admin": None,
}
TRANSITIONS = [
    "accept",
    "build_at_home",
    "decline",
    "escalate",
    "decide",
    "duplicate",
    "start",
    "submit",
    "review",
    "hand_off",
    "accept_hand_off",
    "complete",
    "close",
    "withdraw",
]
# Moves that make progress (no withdraw, duplicate or close), so the walk reaches the deep states too.
_BUILD = [("accept", "eve"), ("start", "bob"), ("submit", "ann")]
PATHS = {
    "filed": [],
    "accepted": [("accept", "dan")],
    "home_builds": [("build_at_home", "eve")],
    "declined": [("decline", "eve")],
    "escalated": [("decline", "dan"), ("escalate", "bob")],
    "in_progress": _BUILD[:2],
    "in_review": _BUILD,
    "approved": [*_BUILD, ("review", "eve")],
    "handed_off": [*_BUILD, ("review", "eve"), ("hand_off", "bob")],
    "warranty": [*_BUILD, ("review", "dan"), ("hand_off", "ann"), ("accept_hand_off", "eve")],
}
HAPPY_PATH = [t for t in TRANSITIONS if t not in ("withdraw", "duplicate", "close")]
BEFORE_HAND_OFF = {"filed", "accepted", "home_builds", "declined", "escalated", "in_progress", "in_review", "approved"}


def expected(transition: str, state: str, side: str | None, flags: dict, facts: dict) -> str | None:
    """The state after `transition`, or None when the product must refuse it (from the spec, not from rules.py)."""
    table = {
        "accept": ({"filed"}, "home", "accepted"),
        "build_at_home": ({"filed"}, "home", "home_builds"),
        "decline": ({"filed"}, "home", "declined"),
        "escalate": ({"declined", "accepted", "in_progress"}, "requesting", "escalated"),
        "decide": ({"escalated"}, "decider", "home_builds" if flags["reshuffle"] else "declined"),
        "duplicate": ({"declined", "accepted", "in_progress", "in_review", "approved"}, "requesting", "duplicated"),
        "start": ({"accepted"}, "requesting", "in_progress"),
        "submit": ({"in_progress"}, "requesting", "in_review"),
        "review": ({"in_review"}, "home", "approved" if flags["approved"] else "in_progress"),
        "hand_off": ({"approved"}, "requesting", "handed_off"),
        "accept_hand_off": ({"handed_off"}, "home", "warranty"),
        "complete": ({"home_builds"}, "home", "closed"),
        "close": (set(), "either", "closed"),  # the warranty never ends inside this machine
        "withdraw": (BEFORE_HAND_OFF, "requesting", "withdrawn"),
    }
    states, party, after = table[transition]
    if state not in states or side != party:
        return None
    if transition == "escalate" and facts["escalated"]:
        return None
    if transition == "hand_off" and not flags["complete"]:
        return None
    return after


def call(transition: str, o, handle: str, request_id: int, version: int, flags: dict):
    actor = o.actor(handle)
    common = {"actor": actor, "request_id": request_id, "version": version}
    complete = flags["complete"]
    return {
        "accept": lambda: away.accept_request(**common, contact_id=o.people["eve"].id, standards="Our standards"),
        "build_at_home": lambda: away.build_at_home(**common),
        "decline": lambda: away.decline_request(**common, reason="No capacity"),
        "escalate": lambda: away.escalate_request(**common, reason="Customers need it"),
        "decide": lambda: away.decide_escalation(
            **common, decision="reshuffle" if flags["reshuffle"] else "keep_roadmap", reason="Decided"
        ),
        "duplicate": lambda: away.duplicate_request(**common, duplicate_service_id=o.services["checkout-api"].id),
        "start": lambda: away.start_building(**common),
        "submit": lambda: away.submit_for_review(**common),
        "review": lambda: away.review_request(**common, approved=flags["approved"], note="Looked at it"),
        "hand_off": lambda: away.hand_off_request(**common, tests=complete, docs=complete, runbook=complete),
        "accept_hand_off": lambda: away.accept_hand_off(**common),
        "complete": lambda: away.complete_request(**common),
        "close": lambda: away.close_request(**common),
        "withdraw": lambda: away.withdraw_request(**common, reason="Not needed"),
    }[transition]()


def audited(request_id: int) -> int:
    return audit_services.list_changes(
        actor=SYSTEM, subject_type="away_team_request", subject_id=str(request_id), limit=1
    ).total


class AwayTeamMachine(RuleBasedStateMachine):
    org = None  # set by the test: the small_org fixture
    start = "filed"  # set by the test: the state each example starts from

    @initialize()
    def file(self):
        """File a request, then walk it by legal moves to this run's starting state, so every state is explored."""
        start = self.start
        o = self.org
        request = away.file_request(
            actor=o.actor("bob"),
            service_id=o.services["payments-api"].id,
            requesting_team_id=o.teams["checkout"].id,
            title="Refunds",
            what="An endpoint",
            why="Customers wait",
        )
        self.id, self.state, self.version = request.id, "filed", request.version
        self.facts = {"escalated": False, "approved": False}
        self.accepted = 1
        self.tried: set[tuple] = set()
        for transition, handle in PATHS[start]:
            self.move(transition, handle, False, True, True, False)
        assert self.state == start.split("+")[0]

    @rule(
        transition=st.sampled_from(
            [
                "accept",
                "build_at_home",
                "decline",
                "escalate",
                "decide",
                "duplicate",
                "start",
                "submit",
                "review",
                "hand_off",
                "accept_hand_off",
                "complete",
                "close",
                "withdraw",
            ]
        ),
        handle=st.sampled_from(sorted(SIDES)),
        stale=st.booleans(),
        approved=st.booleans(),
        complete=st.booleans(),
        reshuffle=st.booleans(),
    )
    def move(self, transition, handle, stale, approved, complete, reshuffle):
        """Any transition by anyone, sometimes naming a stale version."""
        flags = {"approved": approved, "complete": complete, "reshuffle": reshuffle}
        version = self.version - 1 if stale and self.version > 1 else self.version
        want = None if version != self.version else expected(transition, self.state, SIDES[handle], flags, self.facts)
        try:
            result = call(transition, self.org, handle, self.id, version, flags)
        except (PermissionDenied, RuleViolation, Conflict) as exc:
            assert want is None, f"{transition} by {handle} from {self.state} was refused: {exc.message}"
            if version != self.version:
                assert isinstance(exc, Conflict)
            return
        assert want is not None, f"{transition} by {handle} from {self.state} was accepted, illegally"
        assert result.state == want
        assert result.version == self.version + 1
        self.accepted += 1
        self.state, self.version = want, result.version
        if transition == "escalate":
            self.facts["escalated"] = True
        if transition == "review":
            self.facts["approved"] = approved
        if transition == "submit":
            self.facts["approved"] = False

    @rule(data=st.data())
    def advance(self, data):
        """A move the oracle allows, so the walk reaches the deep states (review, hand-off, warranty) too."""
        flags = {"approved": data.draw(st.booleans()), "complete": True, "reshuffle": data.draw(st.booleans())}
        forward = data.draw(st.integers(0, 3)) > 0  # mostly moves toward the hand-off
        legal = [
            (t, h)
            for t in (HAPPY_PATH if forward else TRANSITIONS)
            for h in sorted(SIDES)
            if expected(t, self.state, SIDES[h], flags, self.facts) is not None
        ]
        if forward:
            flags["approved"] = True
        if legal:
            transition, handle = data.draw(st.sampled_from(legal))
            self.move(transition, handle, False, flags["approved"], True, flags["reshuffle"])

    @rule(handle=st.sampled_from(sorted(SIDES)))
    def refuse_every_illegal_move(self, handle):
        """Once per situation (state, escalated before, review approved) and actor in an example: every move the
        oracle forbids this actor is refused and changes nothing."""
        if (self.situation(), handle) in self.tried:
            return
        self.tried.add((self.situation(), handle))
        for flags in (
            {"approved": True, "complete": True, "reshuffle": True},
            {"approved": False, "complete": False, "reshuffle": False},
        ):
            for transition in TRANSITIONS:
                if expected(transition, self.state, SIDES[handle], flags, self.facts) is not None:
                    continue
                if flags["complete"] is False and transition not in ("hand_off", "review", "decide"):
                    continue  # the flags change nothing else
                with pytest.raises((PermissionDenied, RuleViolation)):
                    call(transition, self.org, handle, self.id, self.version, flags)
        self.every_accepted_transition_is_audited_and_on_the_timeline()

    def situation(self):
        return (self.state, self.facts["escalated"], self.facts["approved"])

    @invariant()
    def every_accepted_transition_is_audited_and_on_the_timeline(self):
        view = away.request_view(actor=self.org.actor("bob"), request_id=self.id)
        assert view.request.state == self.state and view.request.version == self.version
        assert audited(self.id) == self.accepted
        assert len(view.timeline) == self.accepted
        assert [e.to_state for e in view.timeline][-1] == self.state


@pytest.mark.django_db
@pytest.mark.parametrize("start", sorted(PATHS))
def test_random_transitions_by_random_actors_obey_the_state_machine(small_org, start):
    AwayTeamMachine.org, AwayTeamMachine.start = small_org, start
    run_state_machine_as_test(
        AwayTeamMachine,
        settings=settings(
            max_examples=6,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )

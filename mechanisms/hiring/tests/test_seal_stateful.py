"""A hypothesis state machine over one loop (issue 10, deliverable 7): random interviews, feedback saved and
submitted in any order, the debrief opened early, changed votes, the bar raiser's recommendation (a veto
included), the decision and a withdrawal, each by a random person. After every step:

- nobody but its author reads a feedback before the debrief opens;
- an interviewer who has not submitted never reads anyone else's, and a draft is its author's alone, ever;
- a submitted feedback never changes (its row is compared with what was submitted);
- a vetoed loop never reaches an offer;
- the loop's state is always one of the machine's, and a refused step changes nothing.

The oracle is written from sealing.md and MECHANISMS.md §5, not from hiring's code."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from mechanisms.hiring import services as hiring
from mechanisms.hiring.contracts import EvidenceInput, LoopState
from mechanisms.kernel import clock
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation

from .world import PRINCIPLES

REFUSED = (PermissionDenied, RuleViolation, Conflict, NotFound)
INTERVIEWERS = ("dan", "eve", "gus", "hal", "fay")
READERS = ("ann", "bri", "rex", "admin", "zed")  # and the loop's own interviewers
OPEN_STATES = {LoopState.PLANNING, LoopState.INTERVIEWING, LoopState.DEBRIEF}
PAIRS = [list(p) for p in itertools.combinations(PRINCIPLES, 2)] + [[p] for p in PRINCIPLES]
VOTES = ("strong_hire", "hire", "no_hire", "strong_no_hire")


def covered(interviews: dict[str, list[str]]) -> bool:
    """The coverage rule: every chosen principle assessed at least once; with two or more interviews none by all."""
    counts = {p: sum(p in ps for ps in interviews.values()) for p in PRINCIPLES}
    if not interviews or any(c == 0 for c in counts.values()):
        return False
    return len(interviews) < 2 or all(c < len(interviews) for c in counts.values())


def feedback(handle: str, principles: list[str], vote: str, n: int) -> dict:
    return {
        "vote": vote,
        "summary": f"{handle} summary {n}",
        "evidence": [
            EvidenceInput(principle=p, situation=f"s{n}", task=f"t{n}", action=f"a{n}", result=f"r{n}", rating=2)
            for p in principles
        ],
    }


class LoopMachine(RuleBasedStateMachine):
    world = None  # set by the test
    phase = "planning"  # set by the test: the phase each example walks to first, so every phase is explored
    reached: set = set()  # every state and veto seen across the examples (the test checks the walk went deep)

    @initialize()
    def new_loop(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        w = self.world
        self.n = getattr(LoopMachine, "_count", 0) + 1
        LoopMachine._count = self.n
        candidate = hiring.add_candidate(
            actor=w.actor("rex"),
            opening_id=w.opening.id,
            name=f"Stateful {self.n}",
            email=f"s{self.n}@mail.test",
            source="inbound",
        )
        loop = hiring.create_loop(
            actor=w.actor("rex"), candidate_id=candidate.id, bar_raiser_id=w.person_id("bri"), reason="seal"
        )
        self.loop_id = loop.id
        self.state = LoopState.PLANNING
        self.interviews: dict[str, list[str]] = {}  # handle -> principles
        self.interview_ids: dict[str, int] = {}
        self.drafts: set[str] = set()
        self.submitted: dict[str, tuple] = {}  # handle -> the row as submitted
        self.vetoed = False
        if self.phase in ("interviewing", "debrief"):
            self.plan_a_covering_loop()
        if self.phase == "debrief":
            self.write_feedback_as("eve", True, "no_hire")
            self.open_debrief_early("bri")
            assert self.state == LoopState.DEBRIEF

    def teardown(self):
        """Roll the example back (a savepoint per example): the next one starts from the same world, and the bar
        raiser's load does not grow from one example to the next."""
        atomic = getattr(self, "_atomic", None)
        if atomic is not None:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

    # ------------------------------------------------------------------------------------------ helpers

    def loop(self):
        return hiring.get_loop(actor=self.world.actor("rex"), loop_id=self.loop_id)

    def row(self, handle: str) -> tuple:
        from mechanisms.hiring.models import Feedback

        f = Feedback.objects.get(interview_id=self.interview_ids[handle])
        evidence = tuple(
            f.evidence.order_by("principle").values_list("principle", "situation", "task", "action", "result", "rating")
        )
        return (f.vote, f.summary, f.submitted_at, f.minutes_to_submit, evidence)

    def attempt(self, call) -> bool:
        """Run a step; a refusal must change nothing (same version, same state)."""
        before = self.loop()
        try:
            call()
        except REFUSED:
            after = self.loop()
            assert (after.version, after.state) == (before.version, before.state)
            return False
        return True

    def sync(self):
        self.state = LoopState(self.loop().state)
        LoopMachine.reached.add(self.state.value)
        if self.vetoed:
            LoopMachine.reached.add("vetoed")

    # ------------------------------------------------------------------------------------------ rules

    @rule()
    def plan_a_covering_loop(self):
        """The three interviews of a loop that may start, then the start: so the walk reaches the feedback, the
        debrief and the decision often, not only the planning."""
        if self.state != LoopState.PLANNING or self.interviews:
            return
        for handle, principles in (
            ("dan", ["ownership", "dive-deep"]),
            ("eve", ["earn-trust", "hire-and-develop-the-best"]),
            ("gus", ["ownership", "earn-trust"]),
        ):
            self.add_interview(handle, principles)
        self.start("rex")

    @rule(handle=st.sampled_from(INTERVIEWERS), principles=st.sampled_from(PAIRS))
    def add_interview(self, handle, principles):
        starts = clock.now() - dt.timedelta(hours=3)
        # While planning, any new interviewer; once started, only if the loop rules (coverage) still hold.
        new = handle not in self.interviews
        grown = {**self.interviews, handle: principles}
        allowed = new and (
            self.state == LoopState.PLANNING or (self.state == LoopState.INTERVIEWING and covered(grown))
        )

        def call():
            made = hiring.add_interview(
                actor=self.world.actor("rex"),
                loop_id=self.loop_id,
                interviewer_id=self.world.person_id(handle),
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                principles=principles,
            )
            self.interview_ids[handle] = made.id

        accepted = self.attempt(call)
        assert accepted == allowed, (handle, self.state, self.interviews)
        if accepted:
            self.interviews[handle] = principles

    @rule(handle=st.sampled_from(("rex", "ann", "bri", "dan", "zed")))
    def start(self, handle):
        allowed = self.state == LoopState.PLANNING and covered(self.interviews) and handle in ("rex", "ann")
        loop = self.loop()
        accepted = self.attempt(
            lambda: hiring.start_loop(actor=self.world.actor(handle), loop_id=self.loop_id, version=loop.version)
        )
        assert accepted == allowed, (handle, self.state, self.interviews)
        self.sync()

    @rule(data=st.data(), submit=st.booleans(), vote=st.sampled_from(VOTES))
    def write_feedback(self, data, submit, vote):
        if not self.interviews:
            return
        self.write_feedback_as(data.draw(st.sampled_from(sorted(self.interviews))), submit, vote)

    def write_feedback_as(self, handle, submit, vote):
        write = hiring.submit_feedback if submit else hiring.save_feedback
        accepted = self.attempt(
            lambda: write(
                actor=self.world.actor(handle),
                interview_id=self.interview_ids[handle],
                **feedback(handle, self.interviews[handle], vote, self.n),
            )
        )
        may = handle not in self.submitted and self.state in (LoopState.INTERVIEWING, LoopState.DEBRIEF)
        assert accepted == may, (handle, submit, self.state, sorted(self.submitted))
        if accepted:
            if submit:
                self.submitted[handle] = self.row(handle)
                self.drafts.discard(handle)
            else:
                self.drafts.add(handle)
        self.sync()
        if self.state == LoopState.INTERVIEWING:
            assert set(self.submitted) != set(self.interviews), "the last feedback in opens the debrief"

    @rule(data=st.data(), vote=st.sampled_from(VOTES))
    def submit_someones_feedback(self, data, vote):
        """An interviewer who has not submitted yet submits (in a random order): the walk moves toward the debrief."""
        waiting = sorted(set(self.interviews) - set(self.submitted))
        if self.state != LoopState.INTERVIEWING or not waiting:
            return
        handle = data.draw(st.sampled_from(waiting))
        self.write_feedback_as(handle, True, vote)

    @rule(
        recommendation=st.sampled_from(("do_not_proceed", "approve", "do_not_proceed", "approve_with_concerns")),
        decision=st.sampled_from(("hire", "no_hire")),
    )
    def run_the_debrief(self, recommendation, decision):
        """In the debrief: the bar raiser recommends (a veto half of the time), then the hiring manager decides
        (a hire under a veto must be refused): so the walk reaches the decision and the veto often."""
        if self.state != LoopState.DEBRIEF:
            return
        self.recommend(recommendation, "bri")
        self.decide(decision, "ann")

    @rule(handle=st.sampled_from(("bri", "ann", "rex", "dan")))
    def open_debrief_early(self, handle):
        loop = self.loop()
        accepted = self.attempt(
            lambda: hiring.open_debrief(
                actor=self.world.actor(handle),
                loop_id=self.loop_id,
                version=loop.version,
                reason="the candidate's time is short",
            )
        )
        if accepted:
            assert handle == "bri" and self.state == LoopState.INTERVIEWING
        self.sync()

    @rule(data=st.data(), vote=st.sampled_from(VOTES))
    def change_vote(self, data, vote):
        if not self.interviews:
            return
        handle = data.draw(st.sampled_from(sorted(self.interviews)))
        accepted = self.attempt(
            lambda: hiring.change_vote(
                actor=self.world.actor(handle), loop_id=self.loop_id, vote=vote, reason="heard the others"
            )
        )
        if accepted:
            assert handle in self.submitted and self.state == LoopState.DEBRIEF

    @rule(
        recommendation=st.sampled_from(("approve", "approve_with_concerns", "do_not_proceed")),
        handle=st.sampled_from(("bri", "ann")),
    )
    def recommend(self, recommendation, handle):
        accepted = self.attempt(
            lambda: hiring.recommend_on_loop(
                actor=self.world.actor(handle),
                loop_id=self.loop_id,
                recommendation=recommendation,
                reasoning="written reasoning",
            )
        )
        if accepted:
            assert handle == "bri" and self.state == LoopState.DEBRIEF
            self.vetoed = recommendation == "do_not_proceed"
        self.sync()

    @rule(decision=st.sampled_from(("hire", "no_hire")), handle=st.sampled_from(("ann", "bri", "rex")))
    def decide(self, decision, handle):
        loop = self.loop()
        accepted = self.attempt(
            lambda: hiring.decide(
                actor=self.world.actor(handle),
                loop_id=self.loop_id,
                decision=decision,
                rationale="the debrief's evidence",
                version=loop.version,
            )
        )
        if accepted:
            assert handle == "ann" and self.state == LoopState.DEBRIEF
            assert not (decision == "hire" and self.vetoed), "a veto blocks the offer"
        self.sync()

    @rule(handle=st.sampled_from(("rex", "ann", "bri", "dan")))
    def withdraw(self, handle):
        loop = self.loop()
        accepted = self.attempt(
            lambda: hiring.withdraw_loop(
                actor=self.world.actor(handle),
                loop_id=self.loop_id,
                version=loop.version,
                reason="the candidate withdrew",
            )
        )
        if accepted:
            assert handle in ("rex", "ann") and self.state in OPEN_STATES
        self.sync()

    # ------------------------------------------------------------------------------------------ invariants

    @invariant()
    def state_is_one_of_the_machines(self):
        if getattr(self, "loop_id", None) is None:
            return
        loop = self.loop()
        assert loop.state in {s.value for s in LoopState}
        assert LoopState(loop.state) == self.state

    @invariant()
    def a_vetoed_loop_never_reaches_an_offer(self):
        if getattr(self, "loop_id", None) is None:
            return
        if self.vetoed:
            assert self.loop().state != LoopState.OFFER

    @invariant()
    def submitted_feedback_never_changes(self):
        for handle, row in getattr(self, "submitted", {}).items():
            assert self.row(handle) == row, handle

    @invariant()
    def feedback_is_read_only_as_sealing_says(self):
        if getattr(self, "loop_id", None) is None:
            return
        debrief_open = self.state not in (LoopState.PLANNING, LoopState.INTERVIEWING) and self.loop().debrief_opened_at
        for author in set(self.submitted) | self.drafts:
            for reader in (*READERS, *self.interviews):
                if reader == author:
                    continue
                may = (
                    bool(debrief_open)
                    and author in self.submitted
                    and (reader not in self.interviews or reader in self.submitted)
                    and reader in ("ann", "bri", "rex", *self.interviews)
                )
                try:
                    hiring.get_feedback(actor=self.world.actor(reader), interview_id=self.interview_ids[author])
                    read = True
                except (PermissionDenied, NotFound):
                    read = False
                assert read == may, (reader, author, self.state, sorted(self.submitted), sorted(self.drafts))


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["planning", "interviewing", "debrief"])
def test_random_loops_keep_feedback_sealed_and_immutable_and_a_veto_blocks_the_offer(world, start):
    LoopMachine.world, LoopMachine.phase, LoopMachine.reached = world, start, set()
    run_state_machine_as_test(
        LoopMachine,
        settings=settings(
            max_examples=9,  # per starting phase: 27 in all
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    if start == "debrief":  # the walk went through the recommendation and the decision, a veto included
        assert {"vetoed", "no_hire"} <= LoopMachine.reached, LoopMachine.reached

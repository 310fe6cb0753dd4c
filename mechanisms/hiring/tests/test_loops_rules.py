"""Pure loop rules and the loop machine (MECHANISMS.md §5): no database. Each refusal names its rule and field."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.hiring import rules
from mechanisms.hiring.contracts import EvidenceInput, Problem
from mechanisms.hiring.machines import LOOP, LoopMachineFacts
from mechanisms.kernel import machines
from mechanisms.kernel.errors import PermissionDenied, RuleViolation

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
HM, BR, REC, IV = (frozenset({p}) for p in ("hiring_manager", "bar_raiser", "recruiter", "interviewer"))


def interview(person: int, *principles: str, start: dt.datetime = T0, hours: float = 1) -> rules.InterviewFacts:
    return rules.InterviewFacts(person, start, start + dt.timedelta(hours=hours), tuple(principles), f"p{person}")


def facts(**changes) -> rules.LoopFacts:
    base = {
        "opening_state": "open",
        "job_description": "We build payments." * 20,
        "opening_principles": ("ownership", "dive-deep", "earn-trust"),
        "interviews": (
            interview(1, "ownership", "dive-deep"),
            interview(2, "dive-deep", "earn-trust", start=T0 + HOUR),
            interview(3, "earn-trust", "ownership", start=T0 + 2 * HOUR),
        ),
        "bar_raiser_id": 9,
        "recruiter_ids": frozenset({7}),
    }
    return rules.LoopFacts(**{**base, **changes})


def rules_of(problems: list[Problem]) -> set[str]:
    return {p.rule for p in problems}


def test_a_well_formed_loop_has_no_problems():
    assert rules.loop_problems(facts()) == []


def test_the_opening_must_be_open_with_a_written_job_description():
    problems = rules.loop_problems(facts(opening_state="draft", job_description="  "))
    assert {(p.rule, p.field) for p in problems} >= {
        ("opening-open", "opening"),
        ("job-description", "job_description"),
    }


def test_a_loop_without_interviews_is_refused_and_nothing_is_covered():
    problems = rules.loop_problems(facts(interviews=()))
    assert "interviews-required" in rules_of(problems)
    assert [p.field for p in problems if p.rule == "coverage"] == ["principles"] * 3


@pytest.mark.parametrize("principles", [(), ("ownership", "dive-deep", "earn-trust"), ("ownership", "ownership")])
def test_every_interview_assesses_one_or_two_different_principles(principles):
    ivs = (interview(1, *principles), interview(2, "dive-deep", "earn-trust"), interview(3, "ownership"))
    problems = rules.loop_problems(facts(interviews=ivs))
    assert ("principles-per-interview", "interviews[0].principles") in {(p.rule, p.field) for p in problems}


def test_assigned_principles_are_among_the_openings():
    ivs = (interview(1, "ownership", "frugality"), interview(2, "dive-deep", "earn-trust"))
    problems = rules.loop_problems(facts(interviews=ivs))
    assert [(p.rule, p.field) for p in problems] == [("principle-not-in-opening", "interviews[0].principles")]


def test_coverage_refuses_a_principle_nobody_assesses():
    ivs = (interview(1, "ownership"), interview(2, "dive-deep"))
    problems = rules.loop_problems(facts(interviews=ivs))
    assert [(p.rule, p.field) for p in problems] == [("coverage", "principles")]
    assert "earn-trust" in problems[0].message


def test_coverage_refuses_a_principle_every_interviewer_assesses():
    ivs = (interview(1, "ownership", "dive-deep"), interview(2, "ownership", "earn-trust"))
    problems = rules.loop_problems(facts(interviews=ivs))
    assert [p.rule for p in problems] == ["coverage"]
    assert "ownership" in problems[0].message and "every interviewer" in problems[0].message


def test_a_single_interview_covering_everything_it_can_is_not_refused_for_everyone():
    problems = rules.loop_problems(facts(opening_principles=("ownership",), interviews=(interview(1, "ownership"),)))
    assert problems == []


def test_a_bar_raiser_is_required():
    problems = rules.loop_problems(facts(bar_raiser_id=None))
    assert [(p.rule, p.field) for p in problems] == [("bar-raiser-required", "bar_raiser_id")]


def test_the_bar_raisers_verdict_is_passed_in_and_named():
    problems = rules.loop_problems(facts(bar_raiser_problem="is the hiring manager's manager"))
    assert [(p.rule, p.field) for p in problems] == [("bar-raiser-independent", "bar_raiser_id")]
    eligible = rules.loop_problems(
        facts(bar_raiser_problem="is not in the pool", bar_raiser_problem_rule="bar-raiser-eligible")
    )
    assert rules_of(eligible) == {"bar-raiser-eligible"}


def test_the_recruiter_is_never_the_bar_raiser():
    problems = rules.loop_problems(facts(bar_raiser_id=7))
    assert ("recruiter-not-bar-raiser", "bar_raiser_id") in {(p.rule, p.field) for p in problems}


def test_would_be_reports_are_refused_for_a_manager_role_only():
    assert "would-be-report" in rules_of(rules.loop_problems(facts(manager_role=True, would_be_reports=frozenset({2}))))
    assert rules.loop_problems(facts(manager_role=False, would_be_reports=frozenset({2}))) == []
    problem = rules.interviewer_problem(facts(manager_role=True, would_be_reports=frozenset({5})), 5)
    assert problem is not None and (problem.rule, problem.field) == ("would-be-report", "interviewer_id")


def test_an_interviewer_appears_once():
    ivs = (interview(1, "ownership", "dive-deep"), interview(1, "earn-trust", start=T0 + HOUR))
    problems = rules.loop_problems(facts(interviews=ivs))
    assert [(p.rule, p.field) for p in problems] == [("interviewer-once", "interviews[0].interviewer_id")]
    assert rules.interviewer_problem(facts(), 1).rule == "interviewer-once"


def test_an_interview_ends_after_it_starts():
    ivs = (*facts().interviews[:2], interview(3, "earn-trust", "ownership", hours=0))
    problems = rules.loop_problems(facts(interviews=ivs))
    assert [(p.rule, p.field) for p in problems] == [("interview-times", "interviews[2].ends_at")]


# ---------------------------------------------------------------------------------------------- feedback


def star(principle: str, rating: int | None = 3, **blank: str) -> EvidenceInput:
    parts = {"situation": "s", "task": "t", "action": "a", "result": "r", **blank}
    return EvidenceInput(principle, rating=rating, **parts)


def test_a_complete_submission_needs_star_and_a_rating_for_every_assigned_principle_and_a_vote():
    ok = rules.feedback_problems(
        principles=("ownership", "dive-deep"),
        vote="hire",
        evidence=[star("ownership"), star("dive-deep")],
        complete=True,
    )
    assert ok == []
    problems = rules.feedback_problems(
        principles=("ownership", "dive-deep"),
        vote=None,
        evidence=[star("ownership", rating=None, result=" ")],
        complete=True,
    )
    assert {(p.rule, p.field) for p in problems} == {
        ("star", "evidence[0].result"),
        ("rating", "evidence[0].rating"),
        ("star", "evidence"),
        ("vote", "vote"),
    }


def test_a_draft_may_be_incomplete_but_never_neutral_or_off_the_assigned_principles():
    assert rules.feedback_problems(principles=("ownership",), vote=None, evidence=[], complete=False) == []
    problems = rules.feedback_problems(
        principles=("ownership",),
        vote="neutral",
        evidence=[star("frugality"), star("ownership", rating=5)],
        complete=False,
    )
    assert {p.rule for p in problems} == {"evidence-principle", "rating", "vote"}


# ---------------------------------------------------------------------------------------------- the machine


def judge(name, f, parties, raw=None):
    return machines.judge(LOOP, name, f, parties, raw or {})


def test_start_is_refused_naming_the_first_broken_rule_and_the_page_does_not_offer_it():
    f = LoopMachineFacts("planning", problems=(Problem("coverage", "principles", "principle x is not assessed"),))
    with pytest.raises(RuleViolation) as refused:
        judge("start", f, HM)
    assert refused.value.field == "principles" and str(refused.value).startswith("coverage:")
    assert "start" not in machines.available(LOOP, f, HM)
    assert judge("start", LoopMachineFacts("planning"), REC) == ({}, "interviewing")


def test_only_the_hiring_manager_or_recruiter_starts_and_withdraws():
    for parties in (BR, IV):
        with pytest.raises(PermissionDenied):
            judge("start", LoopMachineFacts("planning"), parties)
        with pytest.raises(PermissionDenied):
            judge("withdraw", LoopMachineFacts("interviewing"), parties, {"reason": "x"})


def test_the_bar_raiser_opens_the_debrief_early_only_with_a_reason():
    f = LoopMachineFacts("interviewing", missing_feedback=1, submitted_feedback=2)
    with pytest.raises(RuleViolation) as refused:
        judge("open_debrief", f, BR)
    assert refused.value.field == "reason"
    assert judge("open_debrief", f, BR, {"reason": "the third interviewer is ill"})[1] == "debrief"
    with pytest.raises(PermissionDenied):
        judge("open_debrief", f, HM, {"reason": "hurry"})


def test_a_veto_blocks_an_offer_but_not_a_no_hire():
    f = LoopMachineFacts("debrief", recommendation="do_not_proceed", vetoed=True)
    with pytest.raises(RuleViolation) as refused:
        judge("decide", f, HM, {"decision": "hire", "rationale": "we need people"})
    assert refused.value.field == "decision" and "veto" in str(refused.value)
    assert judge("decide", f, HM, {"decision": "no_hire", "rationale": "agreed"})[1] == "no_hire"


def test_the_decision_waits_for_the_recommendation_and_needs_a_rationale():
    with pytest.raises(RuleViolation):
        judge("decide", LoopMachineFacts("debrief"), HM, {"decision": "hire", "rationale": "x"})
    with pytest.raises(RuleViolation) as refused:
        judge("decide", LoopMachineFacts("debrief", recommendation="approve"), HM, {"decision": "hire"})
    assert refused.value.field == "rationale"
    assert (
        judge(
            "decide",
            LoopMachineFacts("debrief", recommendation="approve"),
            HM,
            {"decision": "hire", "rationale": "strong"},
        )[1]
        == "offer"
    )


def test_unassessed_is_the_first_half_of_coverage_only():
    ivs = (interview(1, "ownership", "dive-deep"), interview(2, "ownership"))
    assert [p.message for p in rules.unassessed_problems(("ownership", "dive-deep", "earn-trust"), ivs)] == [
        "principle earn-trust is not assessed by any interview"
    ]
    assert rules.unassessed_problems(("ownership", "dive-deep"), ivs) == []  # ownership by everyone is fine here

"""Pure rules of away-team requests (MECHANISMS.md §3) and their declared machine: no database."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.away_teams import rules
from mechanisms.away_teams.contracts import OPEN_STATES, Party, RequestState, Transition
from mechanisms.away_teams.machines import MACHINE, REROUTE
from mechanisms.kernel import machines
from mechanisms.kernel.errors import RuleViolation

S, T = RequestState, Transition
REQ, HOME, DECIDER = frozenset({"requesting"}), frozenset({"home"}), frozenset({"decider"})
EVERYONE = frozenset(p.value for p in Party)


def check(transition, facts, parties):
    return machines.check(MACHINE, transition, facts, parties)


def available(facts, parties):
    return set(machines.available(MACHINE, facts, parties))


def test_home_team_answers_a_filed_request_and_the_requester_may_not():
    facts = rules.RequestFacts(S.FILED)
    assert check("accept", facts, HOME) is None
    refusal = check("accept", facts, REQ)
    assert refusal.forbidden and "home team" in refusal.message


def test_wrong_state_is_refused_for_everyone_naming_the_states_it_is_allowed_from():
    refusal = check("hand_off", rules.RequestFacts(S.FILED), REQ)
    assert not refusal.forbidden
    assert "filed" in refusal.message and "only from: approved" in refusal.message


def test_escalation_happens_once():
    assert check("escalate", rules.RequestFacts(S.DECLINED), REQ) is None
    again = check("escalate", rules.RequestFacts(S.DECLINED, escalated_before=True), REQ)
    assert "once" in again.message


def test_only_the_decider_decides():
    facts = rules.RequestFacts(S.ESCALATED)
    assert check("decide", facts, DECIDER) is None
    assert check("decide", facts, HOME | REQ).forbidden


def test_duplicate_waits_for_an_answer_unless_it_is_overdue():
    assert check("duplicate", rules.RequestFacts(S.FILED), REQ) is not None
    assert check("duplicate", rules.RequestFacts(S.FILED, overdue=True), REQ) is None
    assert check("duplicate", rules.RequestFacts(S.DECLINED), REQ) is None


def test_close_waits_for_the_end_of_the_warranty_and_either_team_may_close():
    assert "warranty" in check("close", rules.RequestFacts(S.WARRANTY), HOME).message
    over = rules.RequestFacts(S.WARRANTY, warranty_over=True)
    assert check("close", over, HOME) is None
    assert check("close", over, REQ) is None
    assert check("close", over, DECIDER).forbidden


@pytest.mark.parametrize("state", sorted(MACHINE.final))
def test_nothing_moves_a_final_request(state):
    assert available(rules.RequestFacts(S(state), warranty_over=True, overdue=True), EVERYONE) == set()


def test_actions_offered_are_exactly_the_allowed_transitions():
    assert available(rules.RequestFacts(S.FILED), HOME) == {"accept", "build_at_home", "decline"}
    assert available(rules.RequestFacts(S.FILED), REQ) == {"withdraw"}


def test_an_approved_review_is_a_state_the_hand_off_starts_from_and_the_review_is_not_offered_again():
    in_review, approved = rules.RequestFacts(S.IN_REVIEW), rules.RequestFacts(S.APPROVED)
    assert "hand_off" not in available(in_review, REQ) and "hand_off" in available(approved, REQ)
    assert "review" in available(in_review, HOME) and "review" not in available(approved, HOME)
    review = MACHINE.transition("review")
    assert review.to_state({"approved": True}) == "approved"
    assert review.to_state({"approved": False}) == "in_progress"


def test_the_hand_off_needs_every_checklist_tick_and_names_what_is_missing():
    hand_off = MACHINE.transition("hand_off")
    with pytest.raises(RuleViolation) as missing:
        machines.clean_input(hand_off, {"tests": True, "docs": False})
    assert missing.value.field == "checklist"
    assert missing.value.details["missing"] == ["documentation updated", "runbook updated"]
    assert "hand-off checklist is incomplete" in missing.value.message
    assert machines.clean_input(hand_off, {"tests": True, "docs": True, "runbook": True})["downstream_impact"] == ""


def test_the_declaration_and_the_public_names_agree():
    """Transition (contracts) names the moves for other apps; the machine declares them: the two lists agree, and
    every open state is a non-final state of the machine."""
    assert {t.value for t in T} == {t.name for t in MACHINE.transitions} | {"file", REROUTE.name}
    assert {s.value for s in OPEN_STATES} == MACHINE.open_states
    assert {s.value for s in S} == {s.name for s in MACHINE.states}


def test_working_days_skip_weekends():
    friday = dt.date(2026, 11, 20)
    assert rules.add_working_days(friday, 1) == dt.date(2026, 11, 23)  # Monday
    assert rules.add_working_days(friday, 5) == dt.date(2026, 11, 27)
    assert rules.working_days_between(friday, dt.date(2026, 11, 27)) == 5
    assert rules.working_days_between(friday, friday) == 0


def test_lowest_common_manager_is_the_nearest_shared_manager():
    assert rules.lowest_common_manager([3, 2, 1], [4, 2, 1]) == 2
    assert rules.lowest_common_manager([3], [4]) is None


def test_median_days():
    assert rules.median_days([1.0, 3.0, 2.0]) == 2.0
    assert rules.median_days([]) is None

"""Pure rules of away-team requests (MECHANISMS.md §3): no database."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.away_teams import rules
from mechanisms.away_teams.contracts import Party, RequestState, Transition

S, T = RequestState, Transition
REQ, HOME, DECIDER = frozenset({Party.REQUESTING}), frozenset({Party.HOME}), frozenset({Party.DECIDER})


def test_home_team_answers_a_filed_request_and_the_requester_may_not():
    facts = rules.RequestFacts(S.FILED)
    assert rules.check_transition(T.ACCEPT, facts, HOME) is None
    refusal = rules.check_transition(T.ACCEPT, facts, REQ)
    assert refusal.forbidden and "home team" in refusal.message


def test_wrong_state_is_refused_for_everyone_naming_the_states_it_is_allowed_from():
    refusal = rules.check_transition(T.HAND_OFF, rules.RequestFacts(S.FILED), REQ)
    assert not refusal.forbidden
    assert "filed" in refusal.message and "in_review" in refusal.message


def test_escalation_happens_once():
    assert rules.check_transition(T.ESCALATE, rules.RequestFacts(S.DECLINED), REQ) is None
    again = rules.check_transition(T.ESCALATE, rules.RequestFacts(S.DECLINED, escalated_before=True), REQ)
    assert "once" in again.message


def test_only_the_decider_decides():
    facts = rules.RequestFacts(S.ESCALATED)
    assert rules.check_transition(T.DECIDE, facts, DECIDER) is None
    assert rules.check_transition(T.DECIDE, facts, HOME | REQ).forbidden


def test_duplicate_waits_for_an_answer_unless_it_is_overdue():
    assert rules.check_transition(T.DUPLICATE, rules.RequestFacts(S.FILED), REQ) is not None
    assert rules.check_transition(T.DUPLICATE, rules.RequestFacts(S.FILED, overdue=True), REQ) is None
    assert rules.check_transition(T.DUPLICATE, rules.RequestFacts(S.DECLINED), REQ) is None


def test_close_waits_for_the_end_of_the_warranty_and_either_team_may_close():
    assert "warranty" in rules.check_transition(T.CLOSE, rules.RequestFacts(S.WARRANTY), HOME).message
    over = rules.RequestFacts(S.WARRANTY, warranty_over=True)
    assert rules.check_transition(T.CLOSE, over, HOME) is None
    assert rules.check_transition(T.CLOSE, over, REQ) is None
    assert rules.check_transition(T.CLOSE, over, DECIDER).forbidden


@pytest.mark.parametrize("state", sorted(rules.FINAL_STATES))
def test_nothing_moves_a_final_request(state):
    everyone = frozenset(Party)
    assert rules.available(rules.RequestFacts(state, warranty_over=True, overdue=True), everyone) == ()


def test_actions_offered_are_exactly_the_allowed_transitions():
    assert set(rules.available(rules.RequestFacts(S.FILED), HOME)) == {T.ACCEPT, T.BUILD_AT_HOME, T.DECLINE}
    assert set(rules.available(rules.RequestFacts(S.FILED), REQ)) == {T.WITHDRAW}


def test_missing_checklist_lists_every_gap_in_words():
    missing = rules.missing_checklist({"tests": True, "docs": False, "runbook": False, "review_approved": False})
    assert missing == ["documentation updated", "runbook updated", "the home team's review approved"]
    assert rules.missing_checklist(dict.fromkeys(rules.CHECKLIST, True)) == []


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

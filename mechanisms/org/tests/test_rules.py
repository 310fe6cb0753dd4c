"""Pure org rules (MECHANISMS.md §1): no database, no Django settings."""

from __future__ import annotations

import pytest

from mechanisms.org import rules
from mechanisms.org.contracts import SizeLevel, TeamLimits

DEFAULTS = TeamLimits()


@pytest.mark.parametrize(
    ("size", "level"),
    [
        (0, SizeLevel.OK),
        (6, SizeLevel.OK),
        (8, SizeLevel.OK),
        (9, SizeLevel.WARNING),
        (10, SizeLevel.WARNING),
        (11, SizeLevel.VIOLATION),
        (40, SizeLevel.VIOLATION),
    ],
)
def test_two_pizza_rule_warns_above_eight_and_is_breached_above_ten(size, level):
    assert rules.size_level(size, DEFAULTS) is level


def test_two_pizza_limits_are_defaults_an_admin_can_change():
    strict = TeamLimits(target=4, warning_above=5, violation_above=6)
    assert rules.size_level(6, strict) is SizeLevel.WARNING
    assert rules.size_level(7, strict) is SizeLevel.VIOLATION
    assert rules.size_level(7, DEFAULTS) is SizeLevel.OK


def test_a_person_leading_two_teams_is_not_single_threaded():
    leaders = [(1, 100), (2, 100), (3, 200), (4, None), (5, None), (6, 300), (7, 300), (8, 300)]
    assert rules.multi_threaded_leaders(leaders) == {100: [1, 2], 300: [6, 7, 8]}


def test_leaderless_teams_do_not_make_anyone_multi_threaded():
    assert rules.multi_threaded_leaders([(1, None), (2, None)]) == {}
    assert rules.multi_threaded_leaders([]) == {}


def test_multi_threaded_leaders_lists_teams_in_order():
    assert rules.multi_threaded_leaders([(9, 1), (3, 1), (5, 1)]) == {1: [3, 5, 9]}


# A reporting line: 1 is the top; 2 and 3 report to 1; 4 reports to 2; 5 reports to 4.
MANAGER_OF = {1: None, 2: 1, 3: 1, 4: 2, 5: 4}


def test_chain_upwards_lists_managers_nearest_first():
    assert rules.chain_upwards(5, MANAGER_OF) == [4, 2, 1]
    assert rules.chain_upwards(1, MANAGER_OF) == []
    assert rules.chain_upwards(99, MANAGER_OF) == []


def test_chain_upwards_stops_on_a_loop_instead_of_hanging():
    looped = {1: 2, 2: 3, 3: 1, 4: 1}
    assert rules.chain_upwards(1, looped) == [2, 3]
    assert rules.chain_upwards(4, looped) == [1, 2, 3]
    assert rules.chain_upwards(7, {7: 7}) == []


def test_would_cycle_refuses_a_manager_below_the_person():
    assert rules.would_cycle(2, 5, MANAGER_OF) is True  # 5 is below 2
    assert rules.would_cycle(1, 4, MANAGER_OF) is True


def test_would_cycle_refuses_being_ones_own_parent():
    assert rules.would_cycle(3, 3, MANAGER_OF) is True


def test_would_cycle_allows_a_manager_elsewhere_or_none():
    assert rules.would_cycle(5, 3, MANAGER_OF) is False
    assert rules.would_cycle(3, 4, MANAGER_OF) is False
    assert rules.would_cycle(4, None, MANAGER_OF) is False
    assert rules.would_cycle(6, 5, MANAGER_OF) is False  # a new node under an existing one


def test_lowest_common_manager_is_the_lowest_person_above_both():
    assert rules.lowest_common_manager(5, 3, MANAGER_OF) == 1
    assert rules.lowest_common_manager(5, 4, MANAGER_OF) == 4  # a person is in their own chain
    assert rules.lowest_common_manager(4, 5, MANAGER_OF) == 4
    assert rules.lowest_common_manager(5, 5, MANAGER_OF) == 5


def test_lowest_common_manager_is_none_for_separate_trees():
    assert rules.lowest_common_manager(5, 10, {**MANAGER_OF, 10: 11, 11: None}) is None


def test_lowest_common_manager_survives_a_loop():
    looped = {1: 2, 2: 1, 3: 1}
    assert rules.lowest_common_manager(3, 2, looped) == 1

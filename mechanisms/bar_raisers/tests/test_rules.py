"""The one independence rule (MECHANISMS.md §4), pure: no database. Against hand-made cases and generated org
charts, where it must agree with a brute-force reading of the management chains."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.bar_raisers.rules import independence_problem
from mechanisms.org.contracts import OrgGraph

# ceo <- vp <- (hm, lead); hm <- report <- deep; lead <- member; outsider <- ceo; 'team' led by lead: lead, member
CHART = {1: None, 2: 1, 3: 2, 4: 2, 5: 3, 6: 5, 7: 4, 8: 1}
CEO, VP, HM, LEAD, REPORT, DEEP, MEMBER, OUTSIDER = range(1, 9)
TEAM = 10
GRAPH = OrgGraph(
    managers=CHART, leaders={TEAM: LEAD}, members={TEAM: frozenset({LEAD, MEMBER})}, names={TEAM: "payments"}
)


def problem(candidate: int, **kwargs) -> str | None:
    return independence_problem(GRAPH, candidate, owner=kwargs.pop("owner", HM), owner_word="hiring manager", **kwargs)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (HM, "is the hiring manager"),
        (VP, "is the hiring manager's manager"),
        (CEO, "is above the hiring manager in the management chain"),
        (REPORT, "reports to the hiring manager"),
        (DEEP, "is below the hiring manager in the management chain"),
        (OUTSIDER, None),
    ],
)
def test_the_owner_and_their_whole_chain_up_and_down_are_not_independent(candidate, expected):
    assert problem(candidate) == expected


@pytest.mark.parametrize(
    ("candidate", "owner", "expected"),
    [
        (MEMBER, None, "is on team payments"),
        (LEAD, None, "leads team payments"),
        (VP, None, "manages the leader of team payments"),
        (CEO, None, "is above the leader of team payments in the management chain"),
        (HM, None, None),  # the leader's peer, not in their chain
        (OUTSIDER, DEEP, None),
    ],
)
def test_an_owning_team_its_leader_and_the_leaders_chain_are_not_independent(candidate, owner, expected):
    assert problem(candidate, owner=owner, teams=(TEAM,)) == expected


def test_a_report_of_the_team_leader_outside_the_team_is_not_independent():
    graph = OrgGraph(
        managers={**CHART, 9: LEAD}, leaders={TEAM: LEAD}, members={TEAM: frozenset({LEAD})}, names={TEAM: "payments"}
    )
    assert independence_problem(graph, 9, owner=None, teams=(TEAM,)) == "reports to the leader of team payments"


def test_the_recruiter_is_never_the_bar_raiser():
    assert problem(OUTSIDER, excluded={OUTSIDER}, excluded_word="recruiter") == "is the recruiter"


def test_a_subject_with_no_owner_and_no_team_excludes_nobody():
    assert all(independence_problem(GRAPH, p, owner=None) is None for p in CHART)


def test_an_unknown_team_has_no_members_and_no_leader():
    assert independence_problem(GRAPH, MEMBER, owner=None, teams=(99,)) is None


def test_a_loop_in_the_reporting_data_does_not_hang_the_rule():
    graph = OrgGraph(managers={1: 2, 2: 3, 3: 1, 4: None})
    assert independence_problem(graph, 4, owner=1) is None
    assert independence_problem(graph, 2, owner=1) == "is the owner's manager"
    assert independence_problem(graph, 3, owner=1) == "is above the owner in the management chain"


# ------------------------------------------------------------------------------------------------ generated charts


@st.composite
def org_charts(draw):
    """A forest of people (each one's manager comes before them), a few teams with members and maybe a leader,
    and a subject: candidate, owner (or none), teams, excluded people."""
    size = draw(st.integers(min_value=1, max_value=25))
    managers = {1: None}
    for person in range(2, size + 1):
        managers[person] = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=person - 1)))
    people = st.integers(min_value=1, max_value=size)
    team_count = draw(st.integers(min_value=0, max_value=4))
    leaders, members = {}, {}
    for team in range(100, 100 + team_count):
        leaders[team] = draw(st.one_of(st.none(), people))
        listed = draw(st.frozensets(people, max_size=6))
        members[team] = listed | ({leaders[team]} if leaders[team] else frozenset())
    graph = OrgGraph(managers=managers, leaders=leaders, members=members, names={t: f"t{t}" for t in leaders})
    owning = draw(st.lists(st.sampled_from(sorted(leaders)), max_size=3, unique=True)) if leaders else []
    return (
        graph,
        draw(people),
        draw(st.one_of(st.none(), people)),
        tuple(owning),
        draw(st.frozensets(people, max_size=2)),
    )


def _above(managers: dict[int, int | None], person: int) -> set[int]:
    seen: set[int] = set()
    current = managers.get(person)
    while current is not None and current not in seen:
        seen.add(current)
        current = managers.get(current)
    return seen


def _related(managers, first: int, second: int) -> bool:
    return first == second or first in _above(managers, second) or second in _above(managers, first)


@settings(max_examples=300, deadline=None)
@given(org_charts())
def test_the_rule_agrees_with_a_brute_force_reading_of_the_chains(chart):
    graph, candidate, owner, teams, excluded = chart
    m = graph.managers
    dependent = (
        (owner is not None and _related(m, candidate, owner))
        or candidate in excluded
        or any(candidate in graph.members[t] for t in teams)
        or any(graph.leaders[t] is not None and _related(m, candidate, graph.leaders[t]) for t in teams)
    )
    found = independence_problem(graph, candidate, owner=owner, teams=teams, excluded=excluded)
    assert (found is not None) == dependent, found

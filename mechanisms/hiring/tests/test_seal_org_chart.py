"""Loop rules against a generated org chart (issue 10, deliverable 7): random management trees and teams, built
through org's services. For a manager opening every would-be report is refused as an interviewer; the bar raiser
`suggest` picks is independent by a brute-force reading of the chart; the recruiter is never accepted as the bar
raiser. The brute force is written here from MECHANISMS.md §4, not from bar_raisers' rule."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mechanisms.bar_raisers import services as bar_raisers
from mechanisms.bar_raisers.contracts import PoolMemberChanges
from mechanisms.hiring import services as hiring
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.testing import PASSWORD
from mechanisms.org import services as org

from .world import JD

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("seal chart")
_runs = itertools.count(1)


@st.composite
def charts(draw):
    """People 0..n-1 with managers earlier in the list (a tree, or a forest under the company), one to three teams
    (leader and members drawn from the people), the hiring team and its hiring manager (its leader or above), the
    recruiter, and who is in the bar-raiser pool."""
    n = draw(st.integers(5, 10))
    managers = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n)]
    teams = []
    for _ in range(draw(st.integers(1, 3))):
        leader = draw(st.integers(0, n - 1))
        members = draw(st.sets(st.integers(0, n - 1), max_size=4)) | {leader}
        teams.append((leader, sorted(members)))
    hiring_team = draw(st.integers(0, len(teams) - 1))
    chain = _chain(managers, teams[hiring_team][0])
    hiring_manager = draw(st.sampled_from([teams[hiring_team][0], *chain]))
    recruiter = draw(st.integers(0, n - 1).filter(lambda p: p != hiring_manager))
    pool = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n)) | {recruiter}
    reports = draw(st.sets(st.integers(0, n - 1), max_size=2)) - {hiring_manager}
    return {
        "managers": managers,
        "teams": teams,
        "hiring_team": hiring_team,
        "hiring_manager": hiring_manager,
        "recruiter": recruiter,
        "pool": sorted(pool),
        "reports": sorted(reports),
    }


def _chain(managers, person):
    """Everyone above the person, nearest first."""
    found = []
    while managers[person] is not None:
        person = managers[person]
        found.append(person)
    return found


def _below(managers, person):
    return {p for p in range(len(managers)) if person in _chain(managers, p)}


def independent(chart, person) -> bool:
    """MECHANISMS.md §4 by brute force: not the hiring manager nor in their chain up or down; not on the owning team,
    not its leader nor in the leader's chain up or down; not the recruiter."""
    managers = chart["managers"]
    leader, members = chart["teams"][chart["hiring_team"]]
    related = set()
    for root in (chart["hiring_manager"], leader):
        related |= {root, *_chain(managers, root), *_below(managers, root)}
    related |= set(members) | {chart["recruiter"]}
    return person not in related


def build(small_org, chart):
    """The chart in the database, under a fresh org unit of the company; people are returned by index."""
    run = next(_runs)
    admin = small_org.actor("admin")
    unit = org.create_org_unit(
        actor=SYSTEM, slug=f"chart-{run}", name=f"Chart {run}", parent_id=small_org.units["acme"].id
    )
    people = []
    for i, manager in enumerate(chart["managers"]):
        people.append(
            org.create_person(
                actor=SYSTEM,
                handle=f"c{run}p{i}",
                name=f"Chart {run} person {i}",
                email=f"c{run}p{i}@chart.test",
                manager_id=people[manager].id if manager is not None else None,
            )
        )
    teams = []
    for t, (leader, members) in enumerate(chart["teams"]):
        team = org.create_team(
            actor=SYSTEM,
            slug=f"c{run}t{t}",
            name=f"Chart {run} team {t}",
            org_unit_id=unit.id,
            leader_id=people[leader].id,
            charter="Generated.",
        )
        for member in members:
            org.add_member(actor=SYSTEM, team_id=team.id, person_id=people[member].id)
        teams.append(team)
    org.grant_role(actor=admin, person_id=people[chart["recruiter"]].id, role="recruiter", org_unit_id=unit.id)
    # Only this chart's people take new assignments, so what `suggest` picks is judged against this chart alone.
    for member in bar_raisers.list_pool(actor=admin, active=True, limit=200).items:
        bar_raisers.update_pool_member(
            actor=admin, person_id=member.person_id, changes=PoolMemberChanges(active=False), version=member.version
        )
    for p in chart["pool"]:
        bar_raisers.add_to_pool(actor=admin, person_id=people[p].id, trained_on=dt.date(2024, 1, 1), capacity=3)
    org.forget_relations()
    return people, teams


def actor_of(person) -> Actor:
    """The generated person signed in (an account made for them)."""
    account = org.create_account(actor=SYSTEM, username=person.handle, password=PASSWORD, person_id=person.id)
    return Actor(user_id=account.user_id, person_id=person.id, label=person.handle)


@given(chart=charts())
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_loop_rules_hold_on_any_org_chart(small_org, chart):
    people, teams = build(small_org, chart)
    team = teams[chart["hiring_team"]]
    hm, recruiter = actor_of(people[chart["hiring_manager"]]), actor_of(people[chart["recruiter"]])
    opening = hiring.create_opening(
        actor=hm,
        title="Manager",
        team_id=team.id,
        hiring_manager_id=people[chart["hiring_manager"]].id,
        recruiter_id=people[chart["recruiter"]].id,
        level="M1",
        manager_role=True,
        reports_ids=[people[r].id for r in chart["reports"]],
        job_description=JD,
        principles=["ownership"],
    )
    opening = hiring.open_opening(actor=hm, opening_id=opening.id, version=opening.version)
    candidate = hiring.add_candidate(
        actor=recruiter, opening_id=opening.id, name="Chart candidate", email="chart@mail.test", source="inbound"
    )

    # The recruiter is never accepted as the bar raiser (they are in the pool on purpose).
    with pytest.raises(RuleViolation) as refused:
        hiring.create_loop(
            actor=recruiter,
            candidate_id=candidate.id,
            bar_raiser_id=people[chart["recruiter"]].id,
            reason="try the recruiter",
        )
    assert refused.value.field == "bar_raiser_id"

    eligible = [p for p in chart["pool"] if independent(chart, p)]
    try:
        loop = hiring.create_loop(actor=recruiter, candidate_id=candidate.id)
    except RuleViolation as exc:
        assert exc.field == "bar_raiser_id"
        assert eligible == [], f"suggest found none, but {eligible} are independent"
        event("no independent bar raiser: refused")
        return
    event("a bar raiser suggested")
    chosen = [i for i, p in enumerate(people) if p.id == loop.bar_raiser_id]
    assert chosen and independent(chart, chosen[0]), f"{chosen} is not independent of {chart}"

    # Every would-be report (the team but the hiring manager, and the named reports) is refused as an interviewer.
    leader, members = chart["teams"][chart["hiring_team"]]
    would_be = (set(members) | set(chart["reports"])) - {chart["hiring_manager"]}
    starts = clock.now() - dt.timedelta(hours=2)
    for p in range(len(people)):
        if p == chart["hiring_manager"] or people[p].id == loop.bar_raiser_id:
            continue
        try:
            hiring.add_interview(
                actor=recruiter,
                loop_id=loop.id,
                interviewer_id=people[p].id,
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=1),
                principles=["ownership"],
            )
            accepted = True
        except RuleViolation as exc:
            accepted = False
            assert "report" in exc.message, exc.message
        assert accepted == (p not in would_be), (p, would_be)
        event("a would-be report refused" if not accepted else "an interviewer accepted")

"""Org services (MECHANISMS.md §1): people, org units, teams, memberships, the org rules, accounts and tokens.

Data comes from the `small_org` fixture (conftest.py) and these services; see its docstring for who is who.
"""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, connection, transaction

from mechanisms.audit import services as audit_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.org import services as org
from mechanisms.org.contracts import OrgUnitChanges, PersonChanges, SizeLevel, TeamChanges, TeamStatus

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def history(subject_type: str, subject_id: int) -> list:
    return list(audit_services.list_changes(actor=SYSTEM, subject_type=subject_type, subject_id=subject_id).items)


def log_size() -> int:
    return audit_services.list_changes(actor=SYSTEM, limit=1).total


def new_person(handle: str, manager_id: int | None = None, **extra):
    return org.create_person(
        actor=SYSTEM, handle=handle, name=handle.title(), email=f"{handle}@acme.test", manager_id=manager_id, **extra
    )


def new_team(small_org, slug: str, unit: str = "retail", leader: str | None = None, members=(), status="active"):
    leader_id = small_org.people[leader].id if leader else None
    team = org.create_team(
        actor=SYSTEM,
        slug=slug,
        name=slug.title(),
        org_unit_id=small_org.units[unit].id,
        leader_id=leader_id,
        status=status,
    )
    for person_id in members:
        org.add_member(actor=SYSTEM, team_id=team.id, person_id=person_id)
    return org.get_team(actor=Actor.system("test"), team_id=team.id)


# ------------------------------------------------------------------------------------------------ people


def test_admin_creates_a_person_with_a_manager(small_org):
    person = org.create_person(
        actor=small_org.actor("admin"),
        handle="Ivy.Quinn",
        name=" Ivy Quinn ",
        email="IVY@acme.test",
        manager_id=small_org.people["ann"].id,
        title="Engineer",
    )
    assert person.handle == "ivy.quinn"  # handles and emails are stored lowercase
    assert person.email == "ivy@acme.test"
    assert person.name == "Ivy Quinn"
    assert person.manager_id == small_org.people["ann"].id
    assert person.active is True
    assert person.version == 1
    assert org.get_person(actor=Actor.system("test"), person_id=person.id) == person
    assert org.find_person(actor=Actor.system("test"), handle="IVY.QUINN") == person


def test_only_an_admin_adds_or_changes_people(small_org):
    ann = small_org.people["ann"]
    with pytest.raises(PermissionDenied):
        org.create_person(actor=small_org.actor("ann"), handle="ivy", name="Ivy", email="ivy@acme.test")
    with pytest.raises(PermissionDenied):
        org.update_person(
            actor=small_org.actor("ann"), person_id=ann.id, version=ann.version, changes=PersonChanges(title="Boss")
        )
    with pytest.raises(PermissionDenied):
        org.deactivate_person(actor=small_org.actor("ann"), person_id=ann.id, version=ann.version)


def test_update_person_changes_only_named_fields_and_bumps_the_version(small_org):
    bob = small_org.people["bob"]
    after = org.update_person(
        actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(title="Staff Engineer")
    )
    assert after.title == "Staff Engineer"
    assert after.version == bob.version + 1
    assert (after.handle, after.email, after.manager_id) == (bob.handle, bob.email, bob.manager_id)


def test_deactivated_person_stays_with_history(small_org):
    eve = small_org.people["eve"]
    after = org.deactivate_person(actor=SYSTEM, person_id=eve.id, version=eve.version, reason="left the company")
    assert after.active is False
    assert org.get_person(actor=Actor.system("test"), person_id=eve.id).active is False
    last = history("person", eve.id)[0]
    assert (last.verb, last.reason, last.before["active"], last.after["active"]) == (
        "deactivate",
        "left the company",
        True,
        False,
    )


def test_an_inactive_person_cannot_join_a_team(small_org):
    eve = small_org.people["eve"]
    org.deactivate_person(actor=SYSTEM, person_id=eve.id, version=eve.version)
    with pytest.raises(RuleViolation) as err:
        org.add_member(actor=SYSTEM, team_id=small_org.teams["identity"].id, person_id=eve.id)
    assert err.value.field == "person_id"


@pytest.mark.parametrize("field", ["handle", "email"])
def test_duplicate_handle_or_email_is_a_conflict_naming_the_field(small_org, field):
    values = {"handle": "ivy", "email": "ivy@acme.test"}
    values[field] = {"handle": "ANN", "email": "Ann@Acme.test"}[field]  # case does not make it different
    with pytest.raises(Conflict) as err:
        org.create_person(actor=SYSTEM, name="Ivy", **values)
    assert err.value.field == field


@pytest.mark.parametrize("field", ["handle", "email"])
def test_renaming_onto_anothers_handle_or_email_is_a_conflict(small_org, field):
    bob = small_org.people["bob"]
    value = {"handle": "cat", "email": "cat@acme.test"}[field]
    with pytest.raises(Conflict) as err:
        org.update_person(actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(**{field: value}))
    assert err.value.field == field


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"handle": "Not A Handle"}, "handle"),
        ({"handle": ""}, "handle"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "   "}, "name"),
        ({"discipline": "astrology"}, "discipline"),
    ],
)
def test_invalid_person_fields_are_refused_by_name(small_org, values, field):
    base = {"handle": "ivy", "name": "Ivy", "email": "ivy@acme.test"}
    with pytest.raises(RuleViolation) as err:
        org.create_person(actor=SYSTEM, **{**base, **values})
    assert err.value.field == field


def test_unknown_manager_is_refused_on_manager_id(small_org):
    with pytest.raises(RuleViolation) as err:
        new_person("ivy", manager_id=999_999)
    assert err.value.field == "manager_id"
    bob = small_org.people["bob"]
    with pytest.raises(RuleViolation) as err:
        org.update_person(
            actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(manager_id=999_999)
        )
    assert err.value.field == "manager_id"


def test_a_manager_chain_that_loops_is_refused(small_org):
    ann, bob = small_org.people["ann"], small_org.people["bob"]
    with pytest.raises(RuleViolation) as err:  # bob reports to ann: ann cannot report to bob
        org.update_person(actor=SYSTEM, person_id=ann.id, version=ann.version, changes=PersonChanges(manager_id=bob.id))
    assert err.value.field == "manager_id"
    ceo = small_org.people["ceo"]
    with pytest.raises(RuleViolation):  # three levels down
        org.update_person(actor=SYSTEM, person_id=ceo.id, version=ceo.version, changes=PersonChanges(manager_id=bob.id))
    with pytest.raises(RuleViolation):  # nobody manages themselves
        org.update_person(actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(manager_id=bob.id))
    assert org.get_person(actor=Actor.system("test"), person_id=ann.id).manager_id == small_org.people["vp-retail"].id


def test_moving_a_person_under_another_branch_is_allowed(small_org):
    bob = small_org.people["bob"]
    org.update_person(
        actor=SYSTEM,
        person_id=bob.id,
        version=bob.version,
        changes=PersonChanges(manager_id=small_org.people["fay"].id),
    )
    assert [p.handle for p in org.management_chain(actor=Actor.system("test"), person_id=bob.id)] == [
        "fay",
        "vp-platform",
        "ceo",
    ]


def test_stale_version_is_a_conflict_and_changes_nothing(small_org):
    bob = small_org.people["bob"]
    org.update_person(actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(title="First"))
    with pytest.raises(Conflict) as err:
        org.update_person(actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(title="Second"))
    assert err.value.field == "version"
    assert org.get_person(actor=Actor.system("test"), person_id=bob.id).title == "First"


def test_unknown_person_is_not_found(small_org):
    with pytest.raises(NotFound):
        org.get_person(actor=Actor.system("test"), person_id=999_999)
    with pytest.raises(NotFound):
        org.update_person(actor=SYSTEM, person_id=999_999, version=1, changes=PersonChanges(title="x"))


def test_a_person_update_names_only_the_fields_a_person_has():
    with pytest.raises(TypeError):
        PersonChanges(salary=1)


def test_list_people_filters_by_text_team_and_manager(small_org):
    handles = lambda page: sorted(p.handle for p in page.items)  # noqa: E731
    assert handles(org.list_people(actor=Actor.system("test"), text="moss")) == ["cat"]
    assert handles(org.list_people(actor=Actor.system("test"), team_id=small_org.teams["payments"].id)) == [
        "dan",
        "eve",
    ]
    assert handles(org.list_people(actor=Actor.system("test"), manager_id=small_org.people["ann"].id)) == ["bob", "cat"]
    assert org.list_people(actor=Actor.system("test"), limit=2).total == 11
    assert len(org.list_people(actor=Actor.system("test"), limit=2).items) == 2


# ------------------------------------------------------------------------------------------------ org units


def test_org_unit_tree_cannot_loop(small_org):
    acme, retail = small_org.units["acme"], small_org.units["retail"]
    with pytest.raises(RuleViolation) as err:
        org.update_org_unit(
            actor=SYSTEM, org_unit_id=acme.id, version=acme.version, changes=OrgUnitChanges(parent_id=retail.id)
        )
    assert err.value.field == "parent_id"
    with pytest.raises(RuleViolation):
        org.update_org_unit(
            actor=SYSTEM, org_unit_id=retail.id, version=retail.version, changes=OrgUnitChanges(parent_id=retail.id)
        )


def test_org_unit_needs_an_existing_parent_and_a_unique_slug(small_org):
    with pytest.raises(RuleViolation) as err:
        org.create_org_unit(actor=SYSTEM, slug="ghosts", name="Ghosts", parent_id=999_999)
    assert err.value.field == "parent_id"
    with pytest.raises(Conflict) as err:
        org.create_org_unit(actor=SYSTEM, slug="retail", name="Retail again")
    assert err.value.field == "slug"


def test_only_an_admin_changes_the_org_tree(small_org):
    with pytest.raises(PermissionDenied):
        org.create_org_unit(actor=small_org.actor("ann"), slug="skunkworks", name="Skunkworks")


def test_org_unit_with_teams_cannot_be_deleted_but_an_empty_one_can(small_org):
    retail = small_org.units["retail"]
    with pytest.raises(RuleViolation):
        org.delete_org_unit(actor=SYSTEM, org_unit_id=retail.id, version=retail.version)
    empty = org.create_org_unit(actor=SYSTEM, slug="empty", name="Empty", parent_id=small_org.units["acme"].id)
    org.delete_org_unit(actor=SYSTEM, org_unit_id=empty.id, version=empty.version, reason="never used")
    with pytest.raises(NotFound):
        org.get_org_unit(actor=Actor.system("test"), org_unit_id=empty.id)


def test_org_unit_ancestors_and_descendants(small_org):
    acme, retail = small_org.units["acme"], small_org.units["retail"]
    sub = org.create_org_unit(actor=SYSTEM, slug="stores", name="Stores", parent_id=retail.id)
    assert [u.slug for u in org.org_unit_ancestors(actor=Actor.system("test"), org_unit_id=sub.id)] == [
        "retail",
        "acme",
    ]
    assert set(org.org_unit_descendants(actor=Actor.system("test"), org_unit_id=retail.id)) == {retail.id, sub.id}
    assert len(org.org_unit_descendants(actor=Actor.system("test"), org_unit_id=acme.id)) == 4


# ------------------------------------------------------------------------------------------------ teams


def test_only_an_admin_creates_teams(small_org):
    with pytest.raises(PermissionDenied):
        org.create_team(
            actor=small_org.actor("ann"), slug="labs", name="Labs", org_unit_id=small_org.units["retail"].id
        )
    team = org.create_team(
        actor=small_org.actor("admin"),
        slug="labs",
        name="Labs",
        org_unit_id=small_org.units["retail"].id,
        charter="Try things for customers.",
    )
    assert (team.status, team.member_count, team.leader_id) == (TeamStatus.ACTIVE, 0, None)


def test_team_needs_an_existing_org_unit_and_a_unique_slug(small_org):
    with pytest.raises(RuleViolation) as err:
        org.create_team(actor=SYSTEM, slug="labs", name="Labs", org_unit_id=999_999)
    assert err.value.field == "org_unit_id"
    with pytest.raises(Conflict) as err:
        org.create_team(actor=SYSTEM, slug="checkout", name="Checkout 2", org_unit_id=small_org.units["retail"].id)
    assert err.value.field == "slug"
    with pytest.raises(RuleViolation) as err:
        org.create_team(
            actor=SYSTEM, slug="labs", name="Labs", org_unit_id=small_org.units["retail"].id, leader_id=999_999
        )
    assert err.value.field == "leader_id"


def test_a_member_may_change_the_charter_of_their_team(small_org):
    team = small_org.teams["checkout"]
    after = org.update_team(
        actor=small_org.actor("bob"),
        team_id=team.id,
        version=team.version,
        changes=TeamChanges(charter="Let customers pay in one click."),
    )
    assert after.charter == "Let customers pay in one click."
    assert after.member_count == 3


@pytest.mark.parametrize("field", ["leader_id", "org_unit_id", "status", "slug"])
def test_a_member_may_not_change_leader_org_unit_status_or_slug(small_org, field):
    team = small_org.teams["checkout"]
    value = {
        "leader_id": small_org.people["bob"].id,
        "org_unit_id": small_org.units["platform"].id,
        "status": "forming",
        "slug": "checkout2",
    }[field]
    with pytest.raises(PermissionDenied) as err:
        org.update_team(
            actor=small_org.actor("bob"), team_id=team.id, version=team.version, changes=TeamChanges(**{field: value})
        )
    assert err.value.field == field
    assert org.get_team(actor=Actor.system("test"), team_id=team.id) == team


def test_a_non_member_may_not_change_a_team(small_org):
    team = small_org.teams["checkout"]
    with pytest.raises(PermissionDenied):
        org.update_team(
            actor=small_org.actor("eve"), team_id=team.id, version=team.version, changes=TeamChanges(charter="mine now")
        )
    with pytest.raises(PermissionDenied):  # a manager above the team is not a member either
        org.update_team(
            actor=small_org.actor("vp-retail"), team_id=team.id, version=team.version, changes=TeamChanges(charter="x")
        )


def test_an_admin_may_change_everything_about_a_team_but_dissolve_it(small_org):
    team = small_org.teams["checkout"]
    after = org.update_team(
        actor=small_org.actor("admin"),
        team_id=team.id,
        version=team.version,
        changes=TeamChanges(
            leader_id=small_org.people["bob"].id,
            org_unit_id=small_org.units["platform"].id,
            slug="checkout-team",
            status="forming",
        ),
    )
    assert (after.leader_id, after.org_unit_id, after.slug, after.status) == (
        small_org.people["bob"].id,
        small_org.units["platform"].id,
        "checkout-team",
        TeamStatus.FORMING,
    )


def test_dissolving_through_update_team_is_refused(small_org):
    team = small_org.teams["checkout"]
    with pytest.raises(RuleViolation) as err:
        org.update_team(
            actor=small_org.actor("admin"),
            team_id=team.id,
            version=team.version,
            changes=TeamChanges(status="dissolved"),
        )
    assert err.value.field == "status"
    assert org.get_team(actor=Actor.system("test"), team_id=team.id).status is TeamStatus.ACTIVE


def test_dissolved_team_releases_its_members_and_takes_no_new_ones(small_org):
    team = small_org.teams["payments"]
    after = org.mark_team_dissolved(actor=SYSTEM, team_id=team.id, version=team.version, reason="merged")
    assert (after.status, after.member_count, after.dissolved_on is not None) == (TeamStatus.DISSOLVED, 0, True)
    assert history("team", team.id)[0].after["released"] == [small_org.people["dan"].id, small_org.people["eve"].id]
    with pytest.raises(RuleViolation):
        org.add_member(actor=SYSTEM, team_id=team.id, person_id=small_org.people["hal"].id)


def test_list_teams_filters(small_org):
    slugs = lambda page: [t.slug for t in page.items]  # noqa: E731
    assert slugs(org.list_teams(actor=Actor.system("test"), org_unit_id=small_org.units["retail"].id)) == [
        "checkout",
        "payments",
    ]
    assert slugs(org.list_teams(actor=Actor.system("test"), org_unit_id=small_org.units["acme"].id)) == []
    assert (
        len(
            org.list_teams(
                actor=Actor.system("test"), org_unit_id=small_org.units["acme"].id, include_sub_units=True
            ).items
        )
        == 3
    )
    assert slugs(org.list_teams(actor=Actor.system("test"), member_id=small_org.people["gus"].id)) == ["identity"]
    assert slugs(org.list_teams(actor=Actor.system("test"), leader_id=small_org.people["dan"].id)) == ["payments"]
    assert slugs(org.list_teams(actor=Actor.system("test"), text="payments")) == ["payments"]
    with pytest.raises(RuleViolation):
        org.list_teams(actor=Actor.system("test"), status="sleeping")


# ------------------------------------------------------------------------------------------------ memberships


def test_a_member_may_add_and_remove_members_of_their_team(small_org):
    team = small_org.teams["checkout"]
    membership = org.add_member(actor=small_org.actor("bob"), team_id=team.id, person_id=small_org.people["hal"].id)
    assert org.get_team(actor=Actor.system("test"), team_id=team.id).member_count == 4
    org.remove_member(actor=small_org.actor("cat"), membership_id=membership.id)
    assert org.get_team(actor=Actor.system("test"), team_id=team.id).member_count == 3


def test_a_non_member_may_not_add_or_remove_members(small_org):
    team = small_org.teams["checkout"]
    with pytest.raises(PermissionDenied):
        org.add_member(actor=small_org.actor("eve"), team_id=team.id, person_id=small_org.people["eve"].id)
    bob_membership = next(
        m
        for m in org.list_memberships(actor=Actor.system("test"), team_id=team.id).items
        if m.person_id == small_org.people["bob"].id
    )
    with pytest.raises(PermissionDenied):
        org.remove_member(actor=small_org.actor("eve"), membership_id=bob_membership.id)
    assert org.get_team(actor=Actor.system("test"), team_id=team.id).member_count == 3


def test_an_account_without_a_person_may_change_no_team(small_org):
    outsider = Actor(user_id=12345, person_id=None, label="outsider")
    with pytest.raises(PermissionDenied):
        org.add_member(actor=outsider, team_id=small_org.teams["checkout"].id, person_id=small_org.people["hal"].id)


def test_adding_a_member_twice_is_a_conflict_on_person_id(small_org):
    with pytest.raises(Conflict) as err:
        org.add_member(actor=SYSTEM, team_id=small_org.teams["checkout"].id, person_id=small_org.people["bob"].id)
    assert err.value.field == "person_id"


def test_membership_of_unknown_team_or_person(small_org):
    with pytest.raises(NotFound):
        org.add_member(actor=SYSTEM, team_id=999_999, person_id=small_org.people["bob"].id)
    with pytest.raises(NotFound):
        org.add_member(actor=SYSTEM, team_id=small_org.teams["checkout"].id, person_id=999_999)
    with pytest.raises(NotFound):
        org.remove_member(actor=SYSTEM, membership_id=999_999)


# ------------------------------------------------------------------------------------------------ org rules


def test_check_org_rules_finds_oversized_warning_multi_threaded_and_leaderless_teams(small_org):
    people = [new_person(f"p{i:02d}").id for i in range(20)]
    new_team(small_org, "huge", leader="bob", members=people[:11])  # 11 members: violation
    new_team(small_org, "big", leader="cat", members=people[11:20])  # 9 members: warning
    new_team(small_org, "side-gig", leader="ann", members=[small_org.people["ann"].id])  # ann now leads two
    new_team(small_org, "orphans", members=[people[0]])  # no leader
    gone = new_team(small_org, "gone", leader="dan", members=[people[1]])
    org.mark_team_dissolved(actor=SYSTEM, team_id=gone.id, version=gone.version, reason="done")
    gone_leaderless = new_team(small_org, "gone-too")
    org.mark_team_dissolved(actor=SYSTEM, team_id=gone_leaderless.id, version=gone_leaderless.version, reason="done")

    report = org.check_org_rules(actor=Actor.system("test"))

    assert [(t.slug, t.size, t.level) for t in report.oversized] == [("huge", 11, SizeLevel.VIOLATION)]
    assert [(t.slug, t.size, t.level) for t in report.size_warnings] == [("big", 9, SizeLevel.WARNING)]
    assert [(b.handle, len(b.team_ids)) for b in report.stl_breaches] == [("ann", 2)]
    assert set(report.stl_breaches[0].team_ids) == {
        small_org.teams["checkout"].id,
        org.find_team(actor=Actor.system("test"), slug="side-gig").id,
    }
    assert [t.slug for t in report.leaderless] == ["orphans"]  # the dissolved leaderless team is not counted
    assert report.teams_checked == 3 + 4  # dissolved teams are not checked; dan leads only one live team
    assert report.breach_count == 3


def test_eight_members_is_fine_and_ten_is_only_a_warning(small_org):
    people = [new_person(f"q{i:02d}").id for i in range(18)]
    eight = new_team(small_org, "eight", leader="bob", members=people[:8])
    ten = new_team(small_org, "ten", leader="cat", members=people[8:18])
    report = org.check_org_rules(actor=Actor.system("test"), team_ids=[eight.id, ten.id])
    assert report.oversized == ()
    assert [t.slug for t in report.size_warnings] == ["ten"]
    assert org.team_size(actor=Actor.system("test"), team_id=eight.id).level is SizeLevel.OK


def test_check_org_rules_on_a_subset_still_sees_a_leaders_other_teams(small_org):
    side = new_team(small_org, "side-gig", leader="dan")
    report = org.check_org_rules(actor=Actor.system("test"), team_ids=[side.id])
    assert [b.handle for b in report.stl_breaches] == ["dan"]


def test_a_forming_team_does_not_make_its_leader_multi_threaded(small_org):
    new_team(small_org, "incubating", leader="ann", status="forming")
    assert org.check_org_rules(actor=Actor.system("test")).stl_breaches == ()


# ------------------------------------------------------------------------------------------------ chains


def test_management_chain_lists_everyone_above_nearest_first(small_org):
    assert [
        p.handle for p in org.management_chain(actor=Actor.system("test"), person_id=small_org.people["bob"].id)
    ] == ["ann", "vp-retail", "ceo"]
    assert org.management_chain(actor=Actor.system("test"), person_id=small_org.people["ceo"].id) == []
    with pytest.raises(NotFound):
        org.management_chain(actor=Actor.system("test"), person_id=999_999)


def test_reports_below_lists_everyone_below_directly_or_not(small_org):
    below = set(org.reports_below(actor=Actor.system("test"), person_id=small_org.people["vp-retail"].id))
    assert below == {small_org.people[h].id for h in ("ann", "dan", "bob", "cat", "eve")}
    assert org.reports_below(actor=Actor.system("test"), person_id=small_org.people["bob"].id) == []


def test_management_chain_queries_do_not_grow_with_depth(small_org, django_assert_max_num_queries):
    manager = small_org.people["gus"].id
    for i in range(12):
        manager = new_person(f"deep{i}", manager_id=manager).id
    with django_assert_max_num_queries(3):
        chain = org.management_chain(actor=Actor.system("test"), person_id=manager)
    assert len(chain) == 11 + 4  # deep0..deep10, gus, fay, vp-platform, ceo


# ------------------------------------------------------------------------------------------------ audit


def _writes(small_org) -> dict:
    """Every org write, by subject type and verb: a function doing it and returning the subject's id."""
    p, t, u = small_org.people, small_org.teams, small_org.units
    admin = small_org.actor("admin")

    def membership_of(handle: str, team: str) -> int:
        return next(
            m.id
            for m in org.list_memberships(actor=Actor.system("test"), team_id=t[team].id).items
            if m.person_id == p[handle].id
        )

    def remove_member() -> int:
        org.remove_member(actor=admin, membership_id=membership_of("gus", "identity"))
        return t["identity"].id

    def issue_token() -> int:
        org.issue_api_token(actor=small_org.actor("bob"), name="ci")
        return small_org.actor("bob").user_id

    return {
        "person create": lambda: new_person("ivy").id,
        "person update": lambda: (
            org.update_person(
                actor=admin, person_id=p["bob"].id, version=p["bob"].version, changes=PersonChanges(title="Lead")
            ).id
        ),
        "person deactivate": lambda: (
            org.deactivate_person(actor=admin, person_id=p["eve"].id, version=p["eve"].version).id
        ),
        "org_unit create": lambda: org.create_org_unit(actor=admin, slug="labs", name="Labs").id,
        "org_unit update": lambda: (
            org.update_org_unit(
                actor=admin,
                org_unit_id=u["retail"].id,
                version=u["retail"].version,
                changes=OrgUnitChanges(name="Retail Co"),
            ).id
        ),
        "team create": lambda: new_team(small_org, "labs").id,
        "team update": lambda: (
            org.update_team(
                actor=small_org.actor("bob"),
                team_id=t["checkout"].id,
                version=t["checkout"].version,
                changes=TeamChanges(charter="new"),
            ).id
        ),
        "team add_member": lambda: org.add_member(actor=admin, team_id=t["identity"].id, person_id=p["hal"].id).team_id,
        "team remove_member": remove_member,
        "team dissolve": lambda: (
            org.mark_team_dissolved(
                actor=admin, team_id=t["payments"].id, version=t["payments"].version, reason="merged"
            ).id
        ),
        "account create": lambda: org.create_account(actor=admin, username="robot", password="long-enough").user_id,
        "account issue_token": issue_token,
    }


WRITES = [
    "person create",
    "person update",
    "person deactivate",
    "org_unit create",
    "org_unit update",
    "team create",
    "team update",
    "team add_member",
    "team remove_member",
    "team dissolve",
    "account create",
    "account issue_token",
]


@pytest.mark.parametrize("write", WRITES)
def test_every_write_records_exactly_one_change_with_before_and_after(small_org, write):
    subject_type, verb = write.split()
    size = log_size()
    subject_id = _writes(small_org)[write]()
    assert log_size() == size + 1
    change = history(subject_type, subject_id)[0]
    assert (change.verb, change.subject_type, change.subject_id) == (verb, subject_type, str(subject_id))
    if verb in ("create", "add_member", "issue_token"):
        assert change.before is None and change.after
    elif verb == "remove_member":
        assert change.before and change.after is None
    else:
        assert change.before and change.after and change.before != change.after


def test_revoking_a_token_records_one_change(small_org):
    issued = org.issue_api_token(actor=small_org.actor("bob"), name="laptop")
    size = log_size()
    org.revoke_api_token(actor=small_org.actor("bob"), token_id=issued.info.id)
    assert log_size() == size + 1
    change = history("account", small_org.actor("bob").user_id)[0]
    assert (change.verb, change.before, change.after) == (
        "revoke_token",
        {"token_id": issued.info.id},
        {"token_id": issued.info.id, "revoked": True},
    )


def test_deleting_an_org_unit_records_its_last_state(small_org):
    unit = org.create_org_unit(actor=SYSTEM, slug="labs", name="Labs")
    size = log_size()
    org.delete_org_unit(actor=small_org.actor("admin"), org_unit_id=unit.id, version=unit.version, reason="unused")
    assert log_size() == size + 1
    change = history("org_unit", unit.id)[0]
    assert (change.verb, change.before["slug"], change.after, change.reason) == ("delete", "labs", None, "unused")
    assert change.actor_label == "admin"


def test_a_refused_write_records_nothing(small_org):
    size = log_size()
    with pytest.raises(Conflict):
        new_person("ann")
    with pytest.raises(PermissionDenied):
        org.create_team(actor=small_org.actor("ann"), slug="x", name="X", org_unit_id=small_org.units["retail"].id)
    bob = small_org.people["bob"]
    with pytest.raises(Conflict):
        org.update_person(actor=SYSTEM, person_id=bob.id, version=bob.version + 7, changes=PersonChanges(title="x"))
    assert log_size() == size


def test_change_records_name_the_actor(small_org):
    team = small_org.teams["checkout"]
    org.update_team(
        actor=small_org.actor("bob"), team_id=team.id, version=team.version, changes=TeamChanges(charter="Pay fast.")
    )
    change = history("team", team.id)[0]
    assert (change.actor_label, change.actor_person_id) == ("bob", small_org.people["bob"].id)
    assert change.before["charter"] == "Checkout for our customers."
    assert change.after["charter"] == "Pay fast."


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_change SET reason = 'rewritten'", "DELETE FROM audit_change"],
)
def test_the_change_log_refuses_update_and_delete_in_the_database(small_org, statement):
    assert log_size() > 0
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement)
    assert log_size() > 0
    assert all(c.reason != "rewritten" for c in audit_services.list_changes(actor=SYSTEM, limit=200).items)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's; SQLite has only DELETE")
def test_the_change_log_refuses_truncate_on_postgresql(small_org):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE audit_change")


# ------------------------------------------------------------------------------------------------ accounts, tokens


def test_issued_token_authenticates_its_account(small_org):
    issued = org.issue_api_token(actor=small_org.actor("bob"), name="laptop")
    actor = org.authenticate_token(secret=issued.secret)
    assert actor is not None
    assert (actor.user_id, actor.person_id, actor.label, actor.is_admin) == (
        small_org.actor("bob").user_id,
        small_org.people["bob"].id,
        "bob",
        False,
    )
    assert org.authenticate_token(secret=issued.secret + "x") is None
    assert org.authenticate_token(secret="") is None


def test_tokens_are_stored_only_as_a_hash(small_org):
    from mechanisms.org.models import ApiToken  # the org app's own table

    issued = org.issue_api_token(actor=small_org.actor("bob"), name="laptop")
    row = ApiToken.objects.get(pk=issued.info.id)
    stored = [str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert issued.secret not in " ".join(stored)
    assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret.startswith(row.prefix)
    assert all(issued.secret not in str(c.after) for c in history("account", small_org.actor("bob").user_id))


def test_revoked_token_no_longer_authenticates(small_org):
    issued = org.issue_api_token(actor=small_org.actor("bob"), name="laptop")
    org.revoke_api_token(actor=small_org.actor("bob"), token_id=issued.info.id)
    assert org.authenticate_token(secret=issued.secret) is None
    assert [t.revoked for t in org.list_api_tokens(actor=small_org.actor("bob"))] == [True]


def test_only_the_owner_or_an_admin_revokes_a_token(small_org):
    issued = org.issue_api_token(actor=small_org.actor("bob"), name="laptop")
    with pytest.raises(NotFound):  # another account does not even learn that the token exists
        org.revoke_api_token(actor=small_org.actor("cat"), token_id=issued.info.id)
    assert org.authenticate_token(secret=issued.secret) is not None
    org.revoke_api_token(actor=small_org.actor("admin"), token_id=issued.info.id)
    assert org.authenticate_token(secret=issued.secret) is None


def test_only_an_admin_issues_tokens_for_another_account(small_org):
    with pytest.raises(PermissionDenied) as err:
        org.issue_api_token(actor=small_org.actor("bob"), name="sneaky", username="cat")
    assert err.value.field == "username"
    issued = org.issue_api_token(actor=small_org.actor("admin"), name="for cat", username="cat")
    assert org.authenticate_token(secret=issued.secret).label == "cat"


def test_token_of_a_deactivated_account_does_not_authenticate(small_org):
    from django.contrib.auth import get_user_model

    issued = org.issue_api_token(actor=small_org.actor("bob"), name="laptop")
    get_user_model().objects.filter(username="bob").update(is_active=False)
    assert org.authenticate_token(secret=issued.secret) is None


def test_accounts_are_unique_and_link_one_person(small_org):
    with pytest.raises(Conflict) as err:
        org.create_account(actor=SYSTEM, username="bob", password="long-enough")
    assert err.value.field == "username"
    with pytest.raises(Conflict) as err:
        org.create_account(actor=SYSTEM, username="bob2", password="long-enough", person_id=small_org.people["bob"].id)
    assert err.value.field == "person_id"
    with pytest.raises(RuleViolation) as err:
        org.create_account(actor=SYSTEM, username="shorty", password="short")
    assert err.value.field == "password"
    with pytest.raises(PermissionDenied):
        org.create_account(actor=small_org.actor("bob"), username="mine", password="long-enough")

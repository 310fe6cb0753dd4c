"""Rules the pages used to compute themselves, now org services: where a team stands (the home page's breaches),
what of a team an actor may edit, and which teams a person may register a service for."""

from __future__ import annotations

import pytest

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org
from mechanisms.org.contracts import SizeLevel, TeamChanges, TeamStanding

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def test_a_team_breaches_when_oversized_leaderless_or_its_leader_leads_another_active_team(small_org):
    o = small_org
    checkout, payments, identity = (o.teams[t] for t in ("checkout", "payments", "identity"))
    # ann (checkout's leader) also leads identity: both teams are multi-led; payments loses its leader.
    org.update_team(
        actor=SYSTEM, team_id=identity.id, version=identity.version, changes=TeamChanges(leader_id=o.people["ann"].id)
    )
    payments = org.get_team(actor=Actor.system("test"), team_id=payments.id)
    org.update_team(actor=SYSTEM, team_id=payments.id, version=payments.version, changes=TeamChanges(leader_id=None))
    standings = org.team_standings(report=org.check_org_rules(actor=Actor.system("test")))
    assert standings[checkout.id].multi_led and standings[checkout.id].breach
    assert standings[identity.id].multi_led
    assert standings[payments.id].leaderless and standings[payments.id].breach
    assert not standings[payments.id].multi_led


def test_a_team_the_report_finds_nothing_about_stands_clear(small_org):
    standings = org.team_standings(report=org.check_org_rules(actor=Actor.system("test")))
    assert small_org.teams["checkout"].id not in standings
    clear = TeamStanding()
    assert clear.level is SizeLevel.OK and not clear.breach and not clear.watch


def test_a_warning_sized_team_is_watched_but_not_a_breach():
    warned = TeamStanding(level=SizeLevel.WARNING)
    assert warned.watch and not warned.breach
    assert TeamStanding(level=SizeLevel.VIOLATION).breach


def test_members_edit_name_and_charter_and_an_admin_also_leader_unit_status_and_slug(small_org):
    o = small_org
    team = o.teams["checkout"]
    assert org.editable_team_fields(actor=o.actor("bob"), team_id=team.id) == {"name", "charter"}
    assert org.editable_team_fields(actor=o.actor("admin"), team_id=team.id) == {
        "name",
        "charter",
        "slug",
        "org_unit_id",
        "leader_id",
        "status",
    }
    with pytest.raises(PermissionDenied):
        org.editable_team_fields(actor=o.actor("eve"), team_id=team.id)  # not on checkout


def test_a_person_registers_services_only_for_the_live_teams_they_belong_to_or_lead(small_org):
    o = small_org
    assert [t.slug for t in org.live_teams_changeable_by(actor=o.actor("bob"))] == ["checkout"]
    assert [t.slug for t in org.live_teams_changeable_by(actor=o.actor("hal"))] == []  # in no team
    every_live_team = {"checkout", "payments", "identity"}
    assert {t.slug for t in org.live_teams_changeable_by(actor=o.actor("admin"))} == every_live_team

"""Update contracts (org): a field left UNSET is untouched, a field set to None or empty is changed, and the PATCH
body maps to a contract of only the fields the client sent; an unknown field is refused before any service runs."""

from __future__ import annotations

import pytest

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import UNSET, field_names, given
from mechanisms.kernel.errors import PermissionDenied, RuleViolation
from mechanisms.kernel.testing import field_of
from mechanisms.org import services as org
from mechanisms.org.contracts import OrgUnitChanges, PersonChanges, TeamChanges

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
JSON = "application/json"


def test_an_empty_update_contract_gives_no_field():
    assert given(TeamChanges()) == {}
    assert given(TeamChanges(leader_id=None, charter="")) == {"charter": "", "leader_id": None}
    assert TeamChanges().leader_id is UNSET


def test_update_contracts_are_frozen():
    changes = TeamChanges(name="Checkout")
    with pytest.raises(AttributeError):
        changes.name = "Other"


def test_a_team_update_leaves_unset_fields_and_clears_a_leader_set_to_none(small_org):
    team = small_org.teams["checkout"]
    renamed = org.update_team(actor=SYSTEM, team_id=team.id, version=team.version, changes=TeamChanges(name="Pay"))
    assert (renamed.name, renamed.leader_id, renamed.charter) == ("Pay", team.leader_id, team.charter)
    cleared = org.update_team(
        actor=SYSTEM, team_id=team.id, version=renamed.version, changes=TeamChanges(leader_id=None, charter="")
    )
    assert (cleared.name, cleared.leader_id, cleared.charter) == ("Pay", None, "")


def test_a_person_update_sets_an_empty_title_but_leaves_an_unset_one(small_org):
    bob = small_org.people["bob"]
    titled = org.update_person(actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(title="Lead"))
    kept = org.update_person(actor=SYSTEM, person_id=bob.id, version=titled.version, changes=PersonChanges(name="Bo"))
    assert (kept.title, kept.name, kept.manager_id) == ("Lead", "Bo", bob.manager_id)
    emptied = org.update_person(actor=SYSTEM, person_id=bob.id, version=kept.version, changes=PersonChanges(title=""))
    assert emptied.title == ""


def test_a_person_is_active_only_by_a_boolean(small_org):
    bob = small_org.people["bob"]
    with pytest.raises(RuleViolation) as err:
        org.update_person(actor=SYSTEM, person_id=bob.id, version=bob.version, changes=PersonChanges(active=None))
    assert err.value.field == "active"


def test_an_org_unit_update_with_no_parent_given_keeps_its_parent(small_org):
    retail = small_org.units["retail"]
    after = org.update_org_unit(
        actor=SYSTEM, org_unit_id=retail.id, version=retail.version, changes=OrgUnitChanges(name="Retail Co")
    )
    assert (after.name, after.parent_id, after.leader_id) == ("Retail Co", retail.parent_id, retail.leader_id)


def test_a_member_may_change_only_the_member_fields_the_contract_declares(small_org):
    team = small_org.teams["checkout"]
    assert set(TeamChanges.MEMBER_FIELDS) < set(field_names(TeamChanges))
    for field in field_names(TeamChanges):
        if field in TeamChanges.MEMBER_FIELDS:
            continue
        with pytest.raises(PermissionDenied) as err:
            org.update_team(
                actor=small_org.actor("bob"),
                team_id=team.id,
                version=team.version,
                changes=TeamChanges(**{field: team.leader_id if field.endswith("_id") else "x"}),
            )
        assert err.value.field == field


def test_a_patch_with_an_unknown_field_is_422_naming_it(small_org, as_):
    team = small_org.teams["checkout"]
    response = as_("admin").patch(
        f"/api/v1/teams/{team.id}", {"version": team.version, "budget": 10}, content_type=JSON
    )
    assert response.status_code == 422
    assert "budget" in response.content.decode()
    assert org.get_team(team_id=team.id) == team


def test_a_patch_maps_only_the_fields_sent_and_null_clears(small_org, as_):
    team = small_org.teams["checkout"]
    charter = as_("admin").patch(
        f"/api/v1/teams/{team.id}", {"version": team.version, "charter": "One click."}, content_type=JSON
    )
    assert (charter.status_code, charter.json()["leader_id"]) == (200, team.leader_id)
    cleared = as_("admin").patch(
        f"/api/v1/teams/{team.id}", {"version": team.version + 1, "leader_id": None}, content_type=JSON
    )
    assert (cleared.status_code, cleared.json()["leader_id"], cleared.json()["charter"]) == (200, None, "One click.")


def test_a_person_patch_with_null_active_is_refused_not_read_as_false(small_org, as_):
    bob = small_org.people["bob"]
    response = as_("admin").patch(
        f"/api/v1/people/{bob.id}", {"version": bob.version, "active": None}, content_type=JSON
    )
    assert (response.status_code, field_of(response)) == (400, "active")
    assert org.get_person(person_id=bob.id).active is True


def test_the_members_team_form_offers_exactly_the_member_fields_of_the_contract():
    from mechanisms.org.forms import TeamForm

    assert set(TeamForm.base_fields) - {"version"} == set(TeamChanges.MEMBER_FIELDS)


def test_a_member_saving_the_team_page_changes_name_and_charter(small_org):
    from mechanisms.kernel.testing import signed_in

    team = small_org.teams["checkout"]
    response = signed_in("bob").post(
        f"/teams/{team.slug}/edit", {"name": "Checkout Crew", "charter": "Pay.", "version": team.version}
    )
    assert response.status_code == 302
    after = org.get_team(team_id=team.id)
    assert (after.name, after.charter, after.leader_id, after.org_unit_id) == (
        "Checkout Crew",
        "Pay.",
        team.leader_id,
        team.org_unit_id,
    )

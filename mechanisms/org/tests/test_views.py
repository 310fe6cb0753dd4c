"""Team and people pages: what a member sees, who may change what, and that a refused or bad change changes nothing.

Data comes from the `small_org` fixture (conftest.py) and is changed through org services only. What a team page
shows of the catalog (dependencies between teams) and its query count are tested in web/tests, the layer that may
read both apps."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import field_error, page_text, signed_in
from mechanisms.org import services as org_services
from mechanisms.org.contracts import TeamChanges

SYSTEM = Actor.system("test")


def team_changes(team_id: int) -> int:
    return audit_services.list_changes(actor=SYSTEM, subject_type="team", subject_id=team_id).total


# ---------------------------------------------------------------------------------------------- team list


@pytest.mark.django_db
def test_team_list_shows_every_team_with_size_and_leader(small_org):
    response = signed_in("eve").get("/teams")
    assert response.status_code == 200
    page = page_text(response)
    for name in ("Checkout", "Payments", "Identity", "Ann Lee", "Dan Cho", "Fay Ngata", "3 people", "2 people"):
        assert name in page


@pytest.mark.django_db
def test_team_list_filters_by_text_org_unit_and_status(small_org):
    client = signed_in("eve")
    page = page_text(client.get("/teams?q=pay"))
    assert "Payments" in page and "Checkout" not in page
    page = page_text(client.get("/teams?unit=platform"))
    assert "Identity" in page and "Payments" not in page
    page = page_text(client.get("/teams?unit=acme"))  # an org unit includes the teams of the units below it
    assert "Identity" in page and "Payments" in page
    page = page_text(client.get("/teams?status=forming"))
    assert "No teams match these filters" in page


@pytest.mark.django_db
def test_team_list_ignores_a_bad_filter_instead_of_failing(small_org):
    response = signed_in("eve").get("/teams?status=bogus&offset=abc&unit=nowhere")
    assert response.status_code == 200
    assert "Checkout" in page_text(response)


@pytest.mark.django_db
def test_team_list_is_paginated(small_org):
    for i in range(55):
        org_services.create_team(
            actor=SYSTEM, slug=f"squad-{i:02d}", name=f"Squad {i:02d}", org_unit_id=small_org.units["retail"].id
        )
    client = signed_in("eve")
    first = client.get("/teams")
    assert "Showing 1–50 of 58" in page_text(first)
    assert 'href="?offset=50"' in first.content.decode()
    second = page_text(client.get("/teams?offset=50"))
    assert "Showing 51–58 of 58" in second and "Squad 54" in second


# ---------------------------------------------------------------------------------------------- team page


@pytest.mark.django_db
def test_team_page_shows_charter_leader_members_size_services_and_history(small_org):
    response = signed_in("eve").get("/teams/checkout")
    assert response.status_code == 200
    page = page_text(response)
    assert "Checkout for our customers." in page
    assert "Ann Lee (single-threaded leader)" in page
    for member in ("Ann Lee", "Bob Ruiz", "Cat Moss"):
        assert member in page
    assert "3 people — target 6, warning above 8" in page
    assert "checkout-api" in page
    assert "Retail" in page  # where it sits in the org tree
    assert "History" in page and "added a member: Bob Ruiz" in page


@pytest.mark.django_db
def test_team_page_shows_the_size_warning_against_the_two_pizza_rule(small_org):
    team = small_org.teams["payments"]
    for i in range(7):
        person = org_services.create_person(actor=SYSTEM, handle=f"p{i}", name=f"Person {i}", email=f"p{i}@acme.test")
        org_services.add_member(actor=SYSTEM, team_id=team.id, person_id=person.id)
    page = page_text(signed_in("eve").get("/teams/payments"))
    assert "9 people — above the warning line of 8" in page


@pytest.mark.django_db
def test_team_page_offers_edit_and_member_forms_only_to_those_who_may_change_it(small_org):
    member = signed_in("ann").get("/teams/checkout").content.decode()
    outsider = signed_in("eve").get("/teams/checkout").content.decode()
    assert 'href="/teams/checkout/edit"' in member and 'action="/teams/checkout/members"' in member
    assert 'href="/teams/checkout/edit"' not in outsider and 'action="/teams/checkout/members"' not in outsider


@pytest.mark.django_db
def test_team_page_renders_user_text_through_markdown_without_raw_html(small_org):
    team = small_org.teams["checkout"]
    org_services.update_team(
        actor=SYSTEM,
        team_id=team.id,
        version=team.version,
        changes=TeamChanges(charter="**Fast** checkout <script>alert(1)</script>"),
    )
    body = signed_in("eve").get("/teams/checkout").content.decode()
    assert "<strong>Fast</strong>" in body
    assert "<script>alert(1)</script>" not in body


@pytest.mark.django_db
def test_unknown_team_is_a_404_page(small_org):
    response = signed_in("eve").get("/teams/nope")
    assert response.status_code == 404
    assert "no team with slug 'nope'" in page_text(response).lower()


# ---------------------------------------------------------------------------------------------- team edit


@pytest.mark.django_db
def test_member_edits_name_and_charter_and_the_change_is_recorded(small_org):
    team = small_org.teams["checkout"]
    before = team_changes(team.id)
    response = signed_in("bob").post(
        "/teams/checkout/edit", {"name": "Checkout Crew", "charter": "Buy in one click.", "version": team.version}
    )
    assert response.status_code == 302 and response["Location"] == "/teams/checkout"
    after = org_services.get_team(actor=Actor.system("test"), team_id=team.id)
    assert (after.name, after.charter) == ("Checkout Crew", "Buy in one click.")
    assert team_changes(team.id) == before + 1


@pytest.mark.django_db
def test_member_edit_form_offers_only_name_and_charter(small_org):
    team = small_org.teams["checkout"]
    client = signed_in("bob")
    body = client.get("/teams/checkout/edit").content.decode()
    assert 'name="charter"' in body and 'name="leader"' not in body and 'name="status"' not in body
    # A leader sneaked into the POST is not read: the member form has no such field.
    client.post("/teams/checkout/edit", {"name": "Checkout", "charter": "x", "version": team.version, "leader": "bob"})
    assert org_services.get_team(actor=Actor.system("test"), team_id=team.id).leader_id == small_org.people["ann"].id


@pytest.mark.django_db
def test_admin_changes_leader_org_unit_and_status(small_org):
    team = small_org.teams["identity"]
    response = signed_in("admin").post(
        "/teams/identity/edit",
        {
            "name": "Identity",
            "charter": "",
            "version": team.version,
            "leader": "gus",
            "org_unit": small_org.units["retail"].id,
            "status": "forming",
        },
    )
    assert response.status_code == 302
    after = org_services.get_team(actor=Actor.system("test"), team_id=team.id)
    assert after.leader_id == small_org.people["gus"].id
    assert after.org_unit_id == small_org.units["retail"].id
    assert after.status == "forming"


@pytest.mark.django_db
def test_admin_naming_an_unknown_leader_sees_the_error_next_to_the_field(small_org):
    team = small_org.teams["identity"]
    response = signed_in("admin").post(
        "/teams/identity/edit",
        {
            "name": "Identity",
            "charter": "",
            "version": team.version,
            "leader": "zed",
            "org_unit": team.org_unit_id,
            "status": "active",
        },
    )
    assert response.status_code == 400
    assert field_error(response, "id_leader") == "No person has the handle 'zed'"
    assert org_services.get_team(actor=Actor.system("test"), team_id=team.id).version == team.version


@pytest.mark.django_db
def test_non_member_opening_the_edit_page_is_refused_with_the_reason(small_org):
    response = signed_in("eve").get("/teams/checkout/edit")
    assert response.status_code == 403
    assert "only members of the owning team or an admin may change this team" in page_text(response).lower()


@pytest.mark.django_db
def test_non_member_posting_an_edit_changes_nothing(small_org):
    team = small_org.teams["checkout"]
    before = team_changes(team.id)
    response = signed_in("eve").post(
        "/teams/checkout/edit", {"name": "Hijacked", "charter": "", "version": team.version}
    )
    assert response.status_code == 403
    assert org_services.get_team(actor=Actor.system("test"), team_id=team.id).name == "Checkout"
    assert team_changes(team.id) == before


@pytest.mark.django_db
def test_stale_version_shows_the_conflict_and_changes_nothing(small_org):
    team = small_org.teams["checkout"]
    org_services.update_team(
        actor=small_org.actor("ann"), team_id=team.id, version=team.version, changes=TeamChanges(name="Checkout!")
    )
    response = signed_in("bob").post("/teams/checkout/edit", {"name": "Mine", "charter": "", "version": team.version})
    assert response.status_code == 409
    assert "Someone else changed this team" in page_text(response)
    assert 'href="/teams/checkout/edit"' in response.content.decode()  # the reload link
    assert org_services.get_team(actor=Actor.system("test"), team_id=team.id).name == "Checkout!"


@pytest.mark.django_db
def test_bad_input_shows_the_service_error_next_to_the_field_and_changes_nothing(small_org):
    team = small_org.teams["checkout"]
    response = signed_in("bob").post(
        "/teams/checkout/edit", {"name": "Checkout", "charter": "x" * 20001, "version": team.version}
    )
    assert response.status_code == 400
    assert field_error(response, "id_charter") == "Charter is longer than 20000 characters"
    assert org_services.get_team(actor=Actor.system("test"), team_id=team.id).charter == team.charter


# ---------------------------------------------------------------------------------------------- new team


@pytest.mark.django_db
def test_admin_creates_a_team(small_org):
    response = signed_in("admin").post(
        "/teams/new",
        {
            "name": "Search",
            "slug": "search",
            "org_unit": small_org.units["retail"].id,
            "leader": "hal",
            "status": "forming",
            "charter": "Find things.",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/teams/search"
    team = org_services.get_team_by_slug(actor=Actor.system("test"), slug="search")
    assert team.leader_id == small_org.people["hal"].id and team.status == "forming"


@pytest.mark.django_db
def test_duplicate_team_slug_is_shown_next_to_the_slug(small_org):
    response = signed_in("admin").post(
        "/teams/new",
        {"name": "Other", "slug": "checkout", "org_unit": small_org.units["retail"].id, "status": "active"},
    )
    assert response.status_code == 409
    assert field_error(response, "id_slug") == "A team with slug 'checkout' already exists"


@pytest.mark.django_db
def test_member_may_not_create_teams(small_org):
    client = signed_in("ann")
    assert client.get("/teams/new").status_code == 403
    response = client.post(
        "/teams/new", {"name": "X", "slug": "x", "org_unit": small_org.units["retail"].id, "status": "active"}
    )
    assert response.status_code == 403
    assert "only an admin may create teams" in page_text(response).lower()
    assert org_services.find_team(actor=Actor.system("test"), slug="x") is None


# ---------------------------------------------------------------------------------------------- members


@pytest.mark.django_db
def test_member_adds_and_removes_a_member(small_org):
    team = small_org.teams["checkout"]
    client = signed_in("ann")
    response = client.post("/teams/checkout/members", {"handle": "hal"})
    assert response.status_code == 302 and response["Location"] == "/teams/checkout"
    assert "Hal Berg" in {p.name for p in org_services.team_members(actor=Actor.system("test"), team_id=team.id)}
    membership = next(
        m
        for m in org_services.list_memberships(actor=Actor.system("test"), team_id=team.id).items
        if m.person_id == small_org.people["hal"].id
    )
    response = client.post(f"/teams/checkout/members/{membership.id}/remove")
    assert response.status_code == 302
    assert "Hal Berg" not in {p.name for p in org_services.team_members(actor=Actor.system("test"), team_id=team.id)}


@pytest.mark.django_db
def test_adding_an_unknown_or_existing_member_shows_the_error_next_to_the_field(small_org):
    client = signed_in("ann")
    response = client.post("/teams/checkout/members", {"handle": "zed"})
    assert response.status_code == 400
    assert field_error(response, "id_handle") == "No person has the handle 'zed'"
    response = client.post("/teams/checkout/members", {"handle": "bob"})
    assert response.status_code == 409
    assert field_error(response, "id_handle") == "Bob is already a member of checkout"
    assert len(org_services.team_members(actor=Actor.system("test"), team_id=small_org.teams["checkout"].id)) == 3


@pytest.mark.django_db
def test_htmx_member_add_gets_the_page_to_swap_in(small_org):
    response = signed_in("ann").post("/teams/checkout/members", {"handle": "zed"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="members"' in body and 'id="history"' in body  # what hx-select and hx-select-oob pick


@pytest.mark.django_db
def test_non_member_may_not_change_members(small_org):
    team = small_org.teams["checkout"]
    client = signed_in("eve")
    response = client.post("/teams/checkout/members", {"handle": "eve"})
    assert response.status_code == 403
    membership = org_services.list_memberships(actor=Actor.system("test"), team_id=team.id).items[0]
    assert client.post(f"/teams/checkout/members/{membership.id}/remove").status_code == 403
    assert len(org_services.team_members(actor=Actor.system("test"), team_id=team.id)) == 3


@pytest.mark.django_db
def test_removing_a_membership_of_another_team_through_this_team_is_a_404(small_org):
    payments_membership = org_services.list_memberships(
        actor=Actor.system("test"), team_id=small_org.teams["payments"].id
    ).items[0]
    response = signed_in("ann").post(f"/teams/checkout/members/{payments_membership.id}/remove")
    assert response.status_code == 404
    assert len(org_services.team_members(actor=Actor.system("test"), team_id=small_org.teams["payments"].id)) == 2


@pytest.mark.django_db
def test_member_changes_need_a_post(small_org):
    assert signed_in("ann").get("/teams/checkout/members").status_code == 405


# ---------------------------------------------------------------------------------------------- people


@pytest.mark.django_db
def test_people_list_filters_by_text_and_shows_managers(small_org):
    client = signed_in("eve")
    page = page_text(client.get("/people"))
    assert "Casey Ortiz" in page and "Hal Berg" in page
    page = page_text(client.get("/people?q=bob"))
    assert "Bob Ruiz" in page and "Ann Lee" in page  # Bob, and his manager
    assert "Hal Berg" not in page


@pytest.mark.django_db
def test_person_page_shows_manager_chain_reports_and_teams(small_org):
    client = signed_in("eve")
    page = page_text(client.get("/people/bob"))
    chain = page.split("Management chain")[1].split("Direct reports")[0]
    assert chain.index("Casey Ortiz") < chain.index("Rita Vance") < chain.index("Ann Lee") < chain.index("Bob Ruiz")
    assert "Checkout" in page.split("Member of")[1]
    page = page_text(client.get("/people/ann"))
    assert "Bob Ruiz" in page.split("Direct reports")[1] and "Cat Moss" in page.split("Direct reports")[1]
    assert "Checkout" in page.split("Leads")[1]


@pytest.mark.django_db
def test_person_page_flags_a_leader_of_two_active_teams(small_org):
    team = small_org.teams["identity"]
    org_services.update_team(
        actor=SYSTEM, team_id=team.id, version=team.version, changes=TeamChanges(leader_id=small_org.people["ann"].id)
    )
    assert "single-threaded leader of 2 active teams" in page_text(signed_in("eve").get("/people/ann"))


@pytest.mark.django_db
def test_unknown_person_is_a_404_page(small_org):
    response = signed_in("eve").get("/people/nobody")
    assert response.status_code == 404
    assert "no person with handle 'nobody'" in page_text(response).lower()

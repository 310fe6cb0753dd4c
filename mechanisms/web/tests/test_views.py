"""Sign-in, the home page (the org at a glance), search, and what every page shares: sign-in required, CSRF,
404 pages. Team, people and service pages are tested in org/tests and catalog/tests."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import PASSWORD, page_text, signed_in
from mechanisms.org import services as org_services
from mechanisms.org.contracts import TeamChanges

SYSTEM = Actor.system("test")

PAGES = [
    "/",
    "/search?q=a",
    "/teams",
    "/teams/new",
    "/teams/checkout",
    "/teams/checkout/edit",
    "/people",
    "/people/ann",
    "/services",
    "/services/new",
    "/services/checkout-api",
    "/services/checkout-api/edit",
]


def grow_org(small_org, n: int) -> None:
    """Add n teams, each with a leader, a member, a service with an interface, and cross-team dependencies."""
    retail = small_org.units["retail"].id
    for i in range(n):
        person = org_services.create_person(
            actor=SYSTEM, handle=f"lead{i}", name=f"Lead {i}", email=f"lead{i}@acme.test"
        )
        team = org_services.create_team(
            actor=SYSTEM, slug=f"team-{i}", name=f"Team {i}", org_unit_id=retail, leader_id=person.id
        )
        org_services.add_member(actor=SYSTEM, team_id=team.id, person_id=person.id)
        service = catalog_services.create_service(actor=SYSTEM, name=f"svc-{i}", owner_team_id=team.id)
        catalog_services.create_interface(actor=SYSTEM, service_id=service.id, name=f"svc-{i}-http")
        catalog_services.add_dependency(
            actor=SYSTEM, service_id=service.id, kind="consumes", interface_id=small_org.interfaces["payments-http"].id
        )


# ---------------------------------------------------------------------------------------------- sign-in


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_every_page_sends_an_anonymous_visitor_to_sign_in(small_org, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/signin?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("url", [u for u in PAGES if "edit" not in u and "new" not in u])
def test_every_page_renders_for_a_member(small_org, url):
    response = signed_in("eve").get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/vendor/pico/pico.min.css" in body and "/static/web/mech.css" in body
    assert "/static/vendor/htmx/htmx.min.js" in body
    assert "signed in as" in page_text(response) and 'action="/signout"' in body


@pytest.mark.django_db
def test_sign_in_page_shows_the_demo_hint_only_when_configured(small_org, settings):
    assert "demo-hint" not in Client().get("/signin").content.decode()
    settings.MECH_DEMO_HINT = "Demo: sign in as ann / password123"
    response = Client().get("/signin")
    assert response.status_code == 200
    assert "Demo: sign in as ann / password123" in page_text(response)


@pytest.mark.django_db
def test_sign_in_then_out(small_org):
    client = Client()
    response = client.post("/signin", {"username": "ann", "password": PASSWORD, "next": "/teams/checkout"})
    assert response.status_code == 302 and response["Location"] == "/teams/checkout"
    assert client.get("/").status_code == 200
    assert client.get("/signout").status_code == 405  # signing out is a POST, never a link a page can fire
    response = client.post("/signout")
    assert response.status_code == 302 and response["Location"] == "/signin"
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_a_wrong_password_says_so(small_org):
    response = Client().post("/signin", {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in page_text(response)


@pytest.mark.django_db
def test_forms_need_the_csrf_token(small_org):
    client = Client(enforce_csrf_checks=True)
    client.login(username="ann", password=PASSWORD)
    response = client.post("/teams/checkout/members", {"handle": "hal"})
    assert response.status_code == 403
    assert len(org_services.team_members(team_id=small_org.teams["checkout"].id)) == 3
    page = client.get("/teams/checkout").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post("/teams/checkout/members", {"handle": "hal", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_unknown_address_is_a_404_page(small_org):
    response = signed_in("eve").get("/no/such/page")
    assert response.status_code == 404
    assert "There is no page at /no/such/page" in page_text(response)


# ---------------------------------------------------------------------------------------------- home


@pytest.mark.django_db
def test_home_shows_the_org_tree_with_teams_and_catalog_counts(small_org):
    page = page_text(signed_in("eve").get("/"))
    assert page.index("Acme") < page.index("Retail") < page.index("Checkout")
    assert "Identity" in page.split("Platform")[1]
    for fact in ("3 teams in 3 org units", "3 services", "3 interfaces", "2 datastores"):
        assert fact in page
    assert "Ann Lee" in page and "3 people" in page
    assert "No breaches" in page


@pytest.mark.django_db
def test_home_lists_the_rule_breaches(small_org):
    identity = small_org.teams["identity"]
    org_services.update_team(
        actor=SYSTEM,
        team_id=identity.id,
        version=identity.version,
        changes=TeamChanges(leader_id=small_org.people["dan"].id),
    )
    org_services.create_team(actor=SYSTEM, slug="orphans", name="Orphans", org_unit_id=small_org.units["retail"].id)
    payments = small_org.teams["payments"]
    for i in range(10):
        person = org_services.create_person(actor=SYSTEM, handle=f"p{i}", name=f"P {i}", email=f"p{i}@acme.test")
        org_services.add_member(actor=SYSTEM, team_id=payments.id, person_id=person.id)

    page = page_text(signed_in("eve").get("/"))
    breaches = page.split("Rule breaches")[1]
    assert "Oversized teams (more than 10 people) Payments 12 people" in breaches
    assert re.search(
        r"People leading more than one team Dan Cho leads (Identity, Payments|Payments, Identity)", breaches
    )
    assert "Teams without a leader Orphans — waiting on an administrator" in breaches


@pytest.mark.django_db
def test_home_query_count_does_not_grow_with_the_number_of_teams(small_org, django_assert_max_num_queries):
    identity = small_org.teams["identity"]  # one breach of each kind, so every panel is drawn in the baseline
    org_services.update_team(
        actor=SYSTEM,
        team_id=identity.id,
        version=identity.version,
        changes=TeamChanges(leader_id=small_org.people["dan"].id),
    )
    client = signed_in("eve")
    client.get("/")
    with CaptureQueriesContext(connection) as baseline:
        assert client.get("/").status_code == 200
    grow_org(small_org, 30)
    with django_assert_max_num_queries(len(baseline)):
        response = client.get("/")
    assert "Team 29" in page_text(response)


@pytest.mark.django_db
def test_a_big_unit_shows_its_breaching_teams_first_and_links_to_the_rest(small_org):
    retail = small_org.units["retail"].id
    for i in range(45):
        leader = (
            org_services.create_person(actor=SYSTEM, handle=f"lead{i}", name=f"Lead {i}", email=f"lead{i}@acme.test")
            if i < 44
            else None
        )
        org_services.create_team(
            actor=SYSTEM,
            slug=f"squad-{i:02d}",
            name=f"Squad {i:02d}",
            org_unit_id=retail,
            leader_id=leader.id if leader else None,
        )
    response = signed_in("eve").get("/")
    page = page_text(response)
    assert "Showing 40 of 47 teams, those with breaches first" in page
    assert 'href="/teams?unit=retail"' in response.content.decode()
    retail_rows = page.split("Retail")[1].split("Platform")[0]
    assert "Squad 44" in retail_rows  # leaderless: a breach, so shown although it sorts last
    assert "Squad 43" not in retail_rows  # no breach, and past the cap: on the team list instead


# ---------------------------------------------------------------------------------------------- team page and catalog


@pytest.mark.django_db
def test_team_page_names_the_teams_it_depends_on_and_those_that_depend_on_it(small_org):
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="consumes",
        interface_id=small_org.interfaces["payments-http"].id,
    )
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["identity-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["orders-db"].id,
        access="read",
    )
    page = page_text(signed_in("eve").get("/teams/checkout"))
    depends_on = page.split("Checkout depends on")[1].split("Teams that depend on Checkout")[0]
    depended_on = page.split("Teams that depend on Checkout")[1].split("People")[0]
    assert "Payments" in depends_on and "consumes" in depends_on
    assert "Identity" in depended_on and "accesses" in depended_on


@pytest.mark.django_db
def test_team_page_query_count_does_not_grow_with_the_org(small_org, django_assert_max_num_queries):
    checkout_api = small_org.services["checkout-api"]
    catalog_services.add_dependency(
        actor=SYSTEM, service_id=checkout_api.id, kind="consumes", interface_id=small_org.interfaces["payments-http"].id
    )
    client = signed_in("ann")
    client.get("/teams/checkout")
    with CaptureQueriesContext(connection) as baseline:
        assert client.get("/teams/checkout").status_code == 200
    for i in range(25):
        team = org_services.create_team(
            actor=SYSTEM,
            slug=f"t{i}",
            name=f"T{i}",
            org_unit_id=small_org.units["retail"].id,
            leader_id=small_org.people["hal"].id,
        )
        org_services.add_member(actor=SYSTEM, team_id=team.id, person_id=small_org.people["hal"].id)
        service = catalog_services.create_service(actor=SYSTEM, name=f"svc-{i}", owner_team_id=team.id)
        api = catalog_services.create_interface(actor=SYSTEM, service_id=service.id, name=f"svc-{i}-http")
        catalog_services.add_dependency(actor=SYSTEM, service_id=checkout_api.id, kind="consumes", interface_id=api.id)
        catalog_services.add_dependency(
            actor=SYSTEM, service_id=service.id, kind="consumes", interface_id=small_org.interfaces["checkout-http"].id
        )
    with django_assert_max_num_queries(len(baseline)):
        response = client.get("/teams/checkout")
    assert response.status_code == 200
    assert "T24" in page_text(response)


# ---------------------------------------------------------------------------------------------- search


@pytest.mark.django_db
def test_search_finds_teams_services_people_and_interfaces(small_org):
    page = page_text(signed_in("eve").get("/search?q=pay"))
    teams = page.split("Teams (")[1].split("Services (")[0]
    services = page.split("Services (")[1].split("People (")[0]
    interfaces = page.split("Interfaces (")[1]
    assert "Payments" in teams and "payments-api" in services and "payments-http" in interfaces
    assert "No people match “pay”" in page
    assert "Ann Lee" in page_text(signed_in("eve").get("/search?q=ann"))


@pytest.mark.django_db
def test_search_caps_each_list_and_links_to_the_rest(small_org):
    grow_org(small_org, 12)
    response = signed_in("eve").get("/search?q=svc")
    body = response.content.decode()
    assert "See all 12 services matching “svc” →" in page_text(response)
    assert 'href="/services?q=svc"' in body
    assert 'href="?q=svc&amp;only=interfaces"' in body
    page = page_text(signed_in("eve").get("/search?q=svc&only=interfaces"))
    assert "svc-11-http" in page and "Showing 1–12 of 12" in page and "Services (" not in page


@pytest.mark.django_db
def test_empty_search_asks_for_text(small_org):
    assert "Type a few letters" in page_text(signed_in("eve").get("/search"))

"""Service pages: what a member sees, who may change what, and that a refused, stale or bad change changes nothing.

Data comes from the `small_org` fixture (conftest.py) and is changed through catalog services only."""

from __future__ import annotations

import re

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import InterfaceChanges, ServiceChanges
from mechanisms.catalog.views import TEAMS_IN_A_SELECT
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import field_error, page_text, signed_in
from mechanisms.org import services as org

SYSTEM = Actor.system("test")
EDIT = {
    "title": "Checkout API",
    "description": "Takes **orders**.",
    "lifecycle": "production",
    "tier": "2",
    "repository": "https://git.acme.test/checkout-api",
    "on_call": "checkout-primary",
}


def service_changes(service_id: int) -> int:
    return audit_services.list_changes(actor=SYSTEM, subject_type="service", subject_id=service_id).total


# ---------------------------------------------------------------------------------------------- list


@pytest.mark.django_db
def test_service_list_shows_services_with_owner_and_lifecycle(small_org):
    response = signed_in("eve").get("/services")
    assert response.status_code == 200
    page = page_text(response)
    assert "checkout-api" in page and "Checkout" in page and "production" in page


@pytest.mark.django_db
def test_service_list_filters_by_text_team_and_lifecycle(small_org):
    client = signed_in("eve")
    page = page_text(client.get("/services?team=payments"))
    assert "payments-api" in page and "checkout-api" not in page
    page = page_text(client.get("/services?q=identity"))
    assert "identity-api" in page and "payments-api" not in page
    page = page_text(client.get("/services?lifecycle=deprecated"))
    assert "No services match these filters" in page
    page = page_text(client.get("/services?team=nowhere"))
    assert "No team has the slug “nowhere”" in page


# ---------------------------------------------------------------------------------------------- detail


@pytest.mark.django_db
def test_service_page_shows_owner_interfaces_datastores_dependencies_consumers_and_history(small_org):
    checkout, payments = small_org.services["checkout-api"], small_org.services["payments-api"]
    catalog_services.add_dependency(
        actor=SYSTEM, service_id=checkout.id, kind="consumes", interface_id=small_org.interfaces["payments-http"].id
    )
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["identity-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["ledger-db"].id,
        access="read",
    )
    catalog_services.update_interface(
        actor=SYSTEM,
        interface_id=small_org.interfaces["payments-http"].id,
        version=1,
        changes=InterfaceChanges(definition="openapi: 3.1.0\ninfo: {title: <Payments>}"),
    )

    page = page_text(signed_in("eve").get("/services/checkout-api"))
    assert "Owner Checkout" in page and "production" in page
    assert "checkout-http" in page and "oauth2" in page and "orders-db" in page
    depends_on = page.split("Depends on")[1].split("Who depends on it")[0]
    assert "consumes payments-http payments-api · Payments" in depends_on
    assert "Ownership" in page and "History" in page and "created" in page

    response = signed_in("eve").get(f"/services/{payments.name}")
    body = response.content.decode()
    assert "<details" in body and "openapi: 3.1.0" in body
    assert "{title: &lt;Payments&gt;}" in body  # a definition is preformatted text, escaped
    consumers = page_text(response).split("Who depends on it")[1]
    assert "checkout-api" in consumers and "Checkout" in consumers
    assert "identity-api" in consumers and "back door" in consumers


@pytest.mark.django_db
def test_service_page_offers_edit_and_add_forms_only_to_the_owning_team(small_org):
    member = signed_in("bob").get("/services/checkout-api").content.decode()
    outsider = signed_in("eve").get("/services/checkout-api").content.decode()
    for marker in (
        'href="/services/checkout-api/edit"',
        'action="/services/checkout-api/interfaces"',
        'action="/services/checkout-api/datastores"',
        'action="/services/checkout-api/dependencies"',
    ):
        assert marker in member and marker not in outsider


@pytest.mark.django_db
def test_unknown_service_is_a_404_page(small_org):
    response = signed_in("eve").get("/services/nope")
    assert response.status_code == 404
    assert "No service named 'nope'" in page_text(response)


# ---------------------------------------------------------------------------------------------- edit


@pytest.mark.django_db
def test_owner_edits_a_service_and_the_change_is_recorded(small_org):
    service = small_org.services["checkout-api"]
    before = service_changes(service.id)
    response = signed_in("bob").post(
        "/services/checkout-api/edit", {"name": "checkout-api", "version": service.version, **EDIT}
    )
    assert response.status_code == 302 and response["Location"] == "/services/checkout-api"
    after = catalog_services.get_service(actor=Actor.system("test"), service_id=service.id)
    assert (after.title, after.tier, after.on_call) == ("Checkout API", 2, "checkout-primary")
    assert service_changes(service.id) == before + 1
    assert "<strong>orders</strong>" in signed_in("bob").get("/services/checkout-api").content.decode()


@pytest.mark.django_db
def test_renaming_a_service_redirects_to_its_new_address(small_org):
    service = small_org.services["checkout-api"]
    response = signed_in("bob").post(
        "/services/checkout-api/edit", {"name": "orders-api", "version": service.version, **EDIT}
    )
    assert response["Location"] == "/services/orders-api"


@pytest.mark.django_db
def test_admin_edits_any_service(small_org):
    service = small_org.services["identity-api"]
    response = signed_in("admin").post(
        "/services/identity-api/edit", {"name": "identity-api", "version": service.version, **EDIT}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_non_member_opening_the_edit_page_is_refused_with_the_reason(small_org):
    response = signed_in("eve").get("/services/checkout-api/edit")
    assert response.status_code == 403
    assert "Only members of the owning team or an admin may change this service" in page_text(response)


@pytest.mark.django_db
def test_non_member_posting_an_edit_changes_nothing(small_org):
    service = small_org.services["checkout-api"]
    before = service_changes(service.id)
    response = signed_in("eve").post(
        "/services/checkout-api/edit", {"name": "checkout-api", "version": service.version, **EDIT}
    )
    assert response.status_code == 403
    assert catalog_services.get_service(actor=Actor.system("test"), service_id=service.id) == service
    assert service_changes(service.id) == before


@pytest.mark.django_db
def test_stale_version_shows_someone_else_changed_it_and_changes_nothing(small_org):
    service = small_org.services["checkout-api"]
    theirs = catalog_services.update_service(
        actor=small_org.actor("ann"),
        service_id=service.id,
        version=service.version,
        changes=ServiceChanges(title="Theirs"),
    )
    response = signed_in("bob").post(
        "/services/checkout-api/edit", {"name": "checkout-api", "version": service.version, **EDIT}
    )
    assert response.status_code == 409
    page = page_text(response)
    assert "Someone else changed this service while you were editing. Reload" in page
    assert catalog_services.get_service(actor=Actor.system("test"), service_id=service.id) == theirs


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Bad Name!", "Name must be 1-63 lowercase letters or digits, separated by single '-', '_' or '.'"),
        ("repository", "ftp://example.com/x", "Repository must be an http(s), ssh or git URL"),
        ("name", "payments-api", "A service named 'payments-api' already exists"),
    ],
)
def test_bad_input_shows_the_error_next_to_the_field_and_changes_nothing(small_org, field, value, message):
    service = small_org.services["checkout-api"]
    data = {"name": "checkout-api", "version": service.version, **EDIT, field: value}
    response = signed_in("bob").post("/services/checkout-api/edit", data)
    assert response.status_code in (400, 409)
    assert field_error(response, f"id_{field}") == message
    assert catalog_services.get_service(actor=Actor.system("test"), service_id=service.id) == service


@pytest.mark.django_db
def test_edit_form_carries_the_version_it_read(small_org):
    body = signed_in("bob").get("/services/checkout-api/edit").content.decode()
    assert 'type="hidden" name="version" value="1"' in body


# ---------------------------------------------------------------------------------------------- new


@pytest.mark.django_db
def test_member_registers_a_service_for_their_team(small_org):
    client = signed_in("bob")
    body = client.get("/services/new?team=checkout").content.decode()
    assert ">Checkout</option>" in body and ">Payments</option>" not in body  # only the teams they may change
    response = client.post("/services/new", {"owner_team": small_org.teams["checkout"].id, "name": "cart-api", **EDIT})
    assert response.status_code == 302 and response["Location"] == "/services/cart-api"
    assert (
        catalog_services.get_service_by_name(actor=Actor.system("test"), name="cart-api").owner_team_id
        == small_org.teams["checkout"].id
    )


@pytest.mark.django_db
def test_registering_a_service_for_another_team_is_refused(small_org):
    response = signed_in("bob").post(
        "/services/new", {"owner_team": small_org.teams["payments"].id, "name": "sneaky-api", **EDIT}
    )
    assert response.status_code == 403
    assert catalog_services.find_service(actor=Actor.system("test"), name="sneaky-api") is None


@pytest.mark.django_db
def test_with_more_teams_than_a_select_holds_the_owning_team_is_typed_as_a_slug(small_org):
    unit_id = small_org.units["retail"].id
    for i in range(TEAMS_IN_A_SELECT):
        org.create_team(actor=Actor.system("test"), slug=f"extra-{i}", name=f"Extra {i}", org_unit_id=unit_id)
    admin = signed_in("admin")
    body = admin.get("/services/new?team=checkout").content.decode()
    assert ">Extra 1</option>" not in body and ">Checkout</option>" not in body
    assert re.search(r'<input type="text" name="owner_team" value="checkout"', body)
    unknown = admin.post("/services/new", {"owner_team": "nowhere", "name": "lost-api", **EDIT})
    assert unknown.status_code == 400 and "no team with the slug" in field_error(unknown, "id_owner_team")
    response = admin.post("/services/new", {"owner_team": "Extra-7", "name": "extra-api", **EDIT})
    assert response.status_code == 302 and response["Location"] == "/services/extra-api"
    created = catalog_services.get_service_by_name(actor=Actor.system("test"), name="extra-api")
    assert created.owner_team_id == org.find_team(actor=Actor.system("test"), slug="extra-7").id


@pytest.mark.django_db
def test_person_without_a_team_may_not_register_services(small_org):
    response = signed_in("hal").get("/services/new")
    assert response.status_code == 403
    assert "not a member of any active team" in page_text(response)


# ---------------------------------------------------------------------------------------------- parts


@pytest.mark.django_db
def test_owner_adds_an_interface_a_datastore_and_a_dependency(small_org):
    client = signed_in("bob")
    response = client.post(
        "/services/checkout-api/interfaces",
        {
            "interface-name": "checkout-events",
            "interface-type": "asyncapi",
            "interface-api_version": "2.0",
            "interface-visibility": "internal",
            "interface-auth_scheme": "mtls",
            "interface-definition": "asyncapi: 3.0.0",
        },
    )
    assert response.status_code == 302
    assert catalog_services.find_interface(actor=Actor.system("test"), name="checkout-events").type == "asyncapi"
    response = client.post(
        "/services/checkout-api/datastores", {"datastore-name": "cart-cache", "datastore-type": "cache"}
    )
    assert response.status_code == 302
    assert (
        catalog_services.find_datastore(actor=Actor.system("test"), name="cart-cache").owner_service_id
        == small_org.services["checkout-api"].id
    )
    response = client.post(
        "/services/checkout-api/dependencies", {"dependency-kind": "consumes", "dependency-target": "payments-http"}
    )
    assert response.status_code == 302
    page = page_text(client.get("/services/checkout-api"))
    assert "checkout-events" in page and "cart-cache" in page and "payments-http" in page


@pytest.mark.django_db
def test_an_unknown_dependency_target_is_shown_next_to_the_field(small_org):
    response = signed_in("bob").post(
        "/services/checkout-api/dependencies", {"dependency-kind": "accesses", "dependency-target": "nowhere-db"}
    )
    assert response.status_code == 400
    assert field_error(response, "id_dependency-target") == "No datastore is named 'nowhere-db'"
    assert '<details class="add-form" open>' in response.content.decode()  # the form with the error is open
    assert (
        catalog_services.service_detail(
            actor=Actor.system("test"), service_id=small_org.services["checkout-api"].id
        ).dependencies
        == ()
    )


@pytest.mark.django_db
def test_a_service_error_on_a_part_is_shown_next_to_the_field(small_org):
    response = signed_in("bob").post(
        "/services/checkout-api/interfaces",
        {
            "interface-name": "payments-http",
            "interface-type": "openapi",
            "interface-visibility": "internal",
        },
    )
    assert response.status_code == 409
    assert "already exists" in field_error(response, "id_interface-name")


@pytest.mark.django_db
def test_owner_removes_a_dependency(small_org):
    dep = catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="consumes",
        interface_id=small_org.interfaces["payments-http"].id,
    )
    assert signed_in("eve").post(f"/services/checkout-api/dependencies/{dep.id}/remove").status_code == 403
    response = signed_in("bob").post(f"/services/checkout-api/dependencies/{dep.id}/remove")
    assert response.status_code == 302
    assert (
        catalog_services.service_detail(
            actor=Actor.system("test"), service_id=small_org.services["checkout-api"].id
        ).dependencies
        == ()
    )


@pytest.mark.django_db
def test_non_member_may_not_add_parts(small_org):
    client = signed_in("eve")
    response = client.post("/services/checkout-api/datastores", {"datastore-name": "x-db", "datastore-type": "cache"})
    assert response.status_code == 403
    assert "only members of the owning team or an admin may add datastores here" in page_text(response).lower()
    assert catalog_services.find_datastore(actor=Actor.system("test"), name="x-db") is None

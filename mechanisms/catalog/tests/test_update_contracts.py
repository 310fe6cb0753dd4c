"""Update contracts (catalog): unset differs from empty, and a PATCH naming a field the contract lacks (the owner,
an edge's end) is a 422 before any service runs."""

from __future__ import annotations

import pytest

from mechanisms.catalog import services as catalog
from mechanisms.catalog.contracts import DatastoreChanges, DependencyChanges, InterfaceChanges, ServiceChanges
from mechanisms.kernel.actor import Actor

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
JSON = "application/json"


def test_a_service_update_leaves_unset_fields_and_empties_a_field_set_to_empty(small_org):
    svc = small_org.services["checkout-api"]
    titled = catalog.update_service(
        actor=SYSTEM, service_id=svc.id, version=svc.version, changes=ServiceChanges(title="Checkout", on_call="")
    )
    assert (titled.title, titled.on_call, titled.tier, titled.description) == (
        "Checkout",
        "",
        svc.tier,
        svc.description,
    )
    same = catalog.update_service(actor=SYSTEM, service_id=svc.id, version=titled.version, changes=ServiceChanges())
    assert (same.title, same.version) == ("Checkout", titled.version + 1)


def test_an_interface_update_changes_only_what_it_gives(small_org):
    http = small_org.interfaces["checkout-http"]
    after = catalog.update_interface(
        actor=SYSTEM, interface_id=http.id, version=http.version, changes=InterfaceChanges(docs_url="")
    )
    assert (after.docs_url, after.name, after.definition) == ("", http.name, http.definition)


def test_a_datastore_update_without_an_owner_keeps_its_owner(small_org):
    store = small_org.datastores["orders-db"]
    after = catalog.update_datastore(
        actor=SYSTEM, datastore_id=store.id, version=store.version, changes=DatastoreChanges(description="Orders")
    )
    assert (after.description, after.owner_service_id) == ("Orders", store.owner_service_id)


def test_an_edge_update_with_no_field_given_changes_nothing_but_the_version(small_org):
    edge = catalog.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["payments-api"].id,
        kind="consumes",
        interface_id=small_org.interfaces["checkout-http"].id,
        description="pays",
    )
    after = catalog.update_dependency(
        actor=SYSTEM, dependency_id=edge.id, version=edge.version, changes=DependencyChanges()
    )
    assert (after.description, after.access) == ("pays", edge.access)


@pytest.mark.parametrize(
    ("url", "key", "field"),
    [
        ("/api/v1/services/{service}", "service", "owner_team_id"),
        ("/api/v1/interfaces/{interface}", "interface", "service_id"),
        ("/api/v1/datastores/{datastore}", "datastore", "colour"),
    ],
)
def test_a_patch_naming_a_field_the_contract_lacks_is_422(small_org, as_, url, key, field):
    record = {
        "service": small_org.services["checkout-api"],
        "interface": small_org.interfaces["checkout-http"],
        "datastore": small_org.datastores["orders-db"],
    }[key]
    response = as_("admin").patch(
        url.format(**{key: record.id}), {"version": record.version, field: 1}, content_type=JSON
    )
    assert response.status_code == 422
    assert field in response.content.decode()

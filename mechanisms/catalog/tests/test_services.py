"""Catalog services (MECHANISMS.md §2): services, interfaces, datastores, dependency edges, ownership transfer.

Data comes from the `small_org` fixture (conftest.py) and services; see its docstring for who is who. ann, bob and
cat are in Checkout (owns checkout-api, checkout-http, orders-db); dan and eve in Payments (payments-api,
payments-http, ledger-db); fay and gus in Identity (identity-api, identity-http).
"""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog
from mechanisms.catalog.contracts import (
    CatalogCounts,
    DatastoreChanges,
    DependencyChanges,
    DependencyKind,
    InterfaceChanges,
    Lifecycle,
    ServiceChanges,
)
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import field_names
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.testing import at_the_same_time
from mechanisms.org import services as org

SYSTEM = Actor.system("test")


def history(subject_type: str, subject_id: int) -> list:
    return list(audit_services.list_changes(actor=SYSTEM, subject_type=subject_type, subject_id=subject_id).items)


def log_size() -> int:
    return audit_services.list_changes(actor=SYSTEM, limit=1).total


def consume(o, service: str, interface: str, actor: str = "admin"):
    return catalog.add_dependency(
        actor=o.actor(actor),
        service_id=o.services[service].id,
        kind="consumes",
        interface_id=o.interfaces[interface].id,
    )


# ------------------------------------------------------------------------------------------------ services


@pytest.mark.django_db
class TestServices:
    def test_a_member_of_the_owning_team_registers_a_service(self, small_org):
        service = catalog.create_service(
            actor=small_org.actor("bob"),
            name="Cart-API",
            owner_team_id=small_org.teams["checkout"].id,
            title="Cart",
            lifecycle="experimental",
            tier=2,
            repository="https://git.acme.test/cart",
        )
        assert (service.name, service.lifecycle, service.tier, service.version) == (
            "cart-api",
            Lifecycle.EXPERIMENTAL,
            2,
            1,
        )
        assert catalog.get_service(service_id=service.id) == service
        assert catalog.find_service(name="CART-API") == service
        periods = catalog.service_detail(service_id=service.id).ownership
        assert [(p.team_id, p.ended_at) for p in periods] == [(small_org.teams["checkout"].id, None)]

    def test_a_non_member_may_not_register_a_service_for_a_team(self, small_org):
        with pytest.raises(PermissionDenied):
            catalog.create_service(
                actor=small_org.actor("eve"), name="cart-api", owner_team_id=small_org.teams["checkout"].id
            )
        assert catalog.find_service(name="cart-api") is None

    def test_an_admin_registers_a_service_for_any_team(self, small_org):
        service = catalog.create_service(
            actor=small_org.actor("admin"), name="cart-api", owner_team_id=small_org.teams["checkout"].id
        )
        assert service.owner_team_id == small_org.teams["checkout"].id

    def test_a_service_needs_an_existing_owner_team(self, small_org):
        with pytest.raises(RuleViolation) as err:
            catalog.create_service(actor=SYSTEM, name="cart-api", owner_team_id=999_999)
        assert err.value.field == "owner_team_id"

    def test_a_dissolved_team_cannot_own_a_service_but_a_forming_one_can(self, small_org):
        gone = org.create_team(actor=SYSTEM, slug="gone", name="Gone", org_unit_id=small_org.units["retail"].id)
        org.mark_team_dissolved(actor=SYSTEM, team_id=gone.id, version=gone.version, reason="test")
        with pytest.raises(RuleViolation) as err:
            catalog.create_service(actor=SYSTEM, name="cart-api", owner_team_id=gone.id)
        assert err.value.field == "owner_team_id"
        forming = org.create_team(
            actor=SYSTEM, slug="new", name="New", org_unit_id=small_org.units["retail"].id, status="forming"
        )
        assert (
            catalog.create_service(actor=SYSTEM, name="cart-api", owner_team_id=forming.id).owner_team_id == forming.id
        )

    @pytest.mark.parametrize(
        "name", ["", "   ", "cart api", "-cart", "cart-", "cart--api", "cart/api", "ca_-rt", "x" * 64, "café"]
    )
    def test_service_names_are_lowercase_words_joined_by_single_separators(self, small_org, name):
        with pytest.raises(RuleViolation) as err:
            catalog.create_service(actor=SYSTEM, name=name, owner_team_id=small_org.teams["checkout"].id)
        assert err.value.field == "name"

    @pytest.mark.parametrize("name", ["cart", "cart-api", "cart_api.v2", "a", "x" * 63, "  Cart-API  "])
    def test_valid_service_names(self, small_org, name):
        service = catalog.create_service(actor=SYSTEM, name=name, owner_team_id=small_org.teams["checkout"].id)
        assert service.name == name.strip().lower()

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"tier": 0}, "tier"),
            ({"tier": 5}, "tier"),
            ({"tier": True}, "tier"),
            ({"lifecycle": "legacy"}, "lifecycle"),
            ({"repository": "file:///etc/passwd"}, "repository"),
            ({"title": "t" * 201}, "title"),
        ],
    )
    def test_invalid_service_fields_are_refused_by_name(self, small_org, values, field):
        with pytest.raises(RuleViolation) as err:
            catalog.create_service(actor=SYSTEM, name="cart", owner_team_id=small_org.teams["checkout"].id, **values)
        assert err.value.field == field

    def test_a_duplicate_service_name_is_a_conflict_on_name(self, small_org):
        with pytest.raises(Conflict) as err:
            catalog.create_service(actor=SYSTEM, name="Checkout-API", owner_team_id=small_org.teams["payments"].id)
        assert err.value.field == "name"
        svc = small_org.services["payments-api"]
        with pytest.raises(Conflict) as err:
            catalog.update_service(
                actor=SYSTEM, service_id=svc.id, version=svc.version, changes=ServiceChanges(name="checkout-api")
            )
        assert err.value.field == "name"

    def test_a_member_of_the_owning_team_updates_the_service(self, small_org):
        svc = small_org.services["checkout-api"]
        after = catalog.update_service(
            actor=small_org.actor("cat"),
            service_id=svc.id,
            version=svc.version,
            changes=ServiceChanges(tier=1, on_call="checkout-primary"),
        )
        assert (after.tier, after.on_call, after.version) == (1, "checkout-primary", svc.version + 1)
        assert (after.name, after.description) == (svc.name, svc.description)

    def test_a_non_member_may_not_update_a_service_but_an_admin_may(self, small_org):
        svc = small_org.services["checkout-api"]
        with pytest.raises(PermissionDenied):
            catalog.update_service(
                actor=small_org.actor("dan"), service_id=svc.id, version=svc.version, changes=ServiceChanges(tier=1)
            )
        with pytest.raises(PermissionDenied):  # managing the team's leader is not membership
            catalog.update_service(
                actor=small_org.actor("vp-retail"),
                service_id=svc.id,
                version=svc.version,
                changes=ServiceChanges(tier=1),
            )
        assert (
            catalog.update_service(
                actor=small_org.actor("admin"), service_id=svc.id, version=svc.version, changes=ServiceChanges(tier=1)
            ).tier
            == 1
        )

    def test_the_owner_changes_only_through_transfer(self, small_org):
        # The update contract has no owner field, so no update can move a service past its ownership history.
        assert "owner_team_id" not in field_names(ServiceChanges)
        with pytest.raises(TypeError):
            ServiceChanges(owner_team_id=small_org.teams["payments"].id)

    def test_unknown_service_is_not_found(self, small_org):
        with pytest.raises(NotFound):
            catalog.get_service(service_id=999_999)
        with pytest.raises(NotFound):
            catalog.update_service(actor=SYSTEM, service_id=999_999, version=1, changes=ServiceChanges(tier=1))
        with pytest.raises(NotFound):
            catalog.service_detail(service_id=999_999)
        with pytest.raises(NotFound):
            catalog.get_service_by_name(name="nope")

    def test_retiring_keeps_the_service_and_records_why(self, small_org):
        svc = small_org.services["identity-api"]
        after = catalog.retire_service(
            actor=small_org.actor("gus"), service_id=svc.id, version=svc.version, reason="replaced by SSO"
        )
        assert after.lifecycle is Lifecycle.RETIRED
        change = history("service", svc.id)[0]
        assert (change.verb, change.reason, change.before["lifecycle"], change.after["lifecycle"]) == (
            "retire",
            "replaced by SSO",
            "production",
            "retired",
        )
        assert svc.id not in {s.id for s in catalog.services_owned_by(team_ids=[small_org.teams["identity"].id])}
        with pytest.raises(PermissionDenied):
            catalog.retire_service(actor=small_org.actor("bob"), service_id=svc.id, version=after.version)

    def test_list_services_filters(self, small_org):
        names = lambda page: [s.name for s in page.items]  # noqa: E731
        t, u = small_org.teams, small_org.units
        catalog.create_service(
            actor=SYSTEM,
            name="cart-api",
            owner_team_id=t["checkout"].id,
            tier=1,
            lifecycle="experimental",
            title="Shopping cart",
        )
        assert names(catalog.list_services(team_id=t["checkout"].id)) == ["cart-api", "checkout-api"]
        assert names(catalog.list_services(org_unit_id=u["platform"].id)) == ["identity-api"]
        assert len(catalog.list_services(org_unit_id=u["acme"].id).items) == 4  # sub-units included
        assert names(catalog.list_services(lifecycle="experimental")) == ["cart-api"]
        assert names(catalog.list_services(tier=1)) == ["cart-api"]
        assert names(catalog.list_services(text="shopping")) == ["cart-api"]  # the title counts
        assert names(catalog.list_services(text="payments-api service")) == ["payments-api"]  # and the description
        page = catalog.list_services(limit=1, offset=1)
        assert (names(page), page.total, page.next_offset) == (["checkout-api"], 4, 2)
        with pytest.raises(RuleViolation) as err:
            catalog.list_services(lifecycle="legacy")
        assert err.value.field == "lifecycle"

    def test_service_detail_shows_interfaces_datastores_edges_and_owners(self, small_org):
        o = small_org
        consume(o, "checkout-api", "payments-http", actor="bob")
        catalog.add_dependency(
            actor=SYSTEM,
            service_id=o.services["identity-api"].id,
            kind="accesses",
            datastore_id=o.datastores["orders-db"].id,
            access="read",
        )
        detail = catalog.service_detail(service_id=o.services["checkout-api"].id)
        assert detail.service == catalog.get_service(service_id=o.services["checkout-api"].id)
        assert [i.name for i in detail.interfaces] == ["checkout-http"]
        assert [d.name for d in detail.datastores] == ["orders-db"]
        assert [(d.kind, d.target_name) for d in detail.dependencies] == [(DependencyKind.CONSUMES, "payments-http")]
        assert [s.name for s in detail.dependency_services] == ["payments-api"]
        assert [(d.kind, d.target_name) for d in detail.consumers] == [(DependencyKind.ACCESSES, "orders-db")]
        assert [s.name for s in detail.consumer_services] == ["identity-api"]
        assert len(detail.ownership) == 1


# ------------------------------------------------------------------------------------------------ transfer


@pytest.mark.django_db
class TestTransfer:
    def test_transfer_moves_the_service_and_keeps_ownership_history(self, small_org):
        svc, t = small_org.services["checkout-api"], small_org.teams
        after = catalog.transfer_service(
            actor=small_org.actor("ann"),
            service_id=svc.id,
            version=svc.version,
            to_team_id=t["payments"].id,
            reason="payments runs the money path",
        )
        assert (after.owner_team_id, after.version) == (t["payments"].id, svc.version + 1)
        ownership = catalog.service_detail(service_id=svc.id).ownership
        assert [(p.team_id, p.ended_at is None) for p in ownership] == [
            (t["payments"].id, True),
            (t["checkout"].id, False),
        ]
        assert ownership[0].reason == "payments runs the money path"
        assert ownership[1].ended_at == ownership[0].started_at

    def test_transfer_is_recorded_with_the_old_and_new_owner(self, small_org):
        svc, t = small_org.services["checkout-api"], small_org.teams
        size = log_size()
        catalog.transfer_service(
            actor=small_org.actor("ann"),
            service_id=svc.id,
            version=svc.version,
            to_team_id=t["payments"].id,
            reason="spin-out",
        )
        assert log_size() == size + 1
        change = history("service", svc.id)[0]
        assert (change.verb, change.reason, change.actor_label) == ("transfer", "spin-out", "ann")
        assert (change.before["owner_team_id"], change.after["owner_team_id"]) == (t["checkout"].id, t["payments"].id)

    def test_after_a_transfer_the_new_team_changes_the_service_and_the_old_one_cannot(self, small_org):
        svc, t = small_org.services["checkout-api"], small_org.teams
        moved = catalog.transfer_service(
            actor=SYSTEM, service_id=svc.id, version=svc.version, to_team_id=t["payments"].id
        )
        with pytest.raises(PermissionDenied):
            catalog.update_service(
                actor=small_org.actor("bob"), service_id=svc.id, version=moved.version, changes=ServiceChanges(tier=1)
            )
        assert (
            catalog.update_service(
                actor=small_org.actor("eve"), service_id=svc.id, version=moved.version, changes=ServiceChanges(tier=1)
            ).tier
            == 1
        )

    def test_only_the_current_owners_or_an_admin_transfer(self, small_org):
        svc, t = small_org.services["checkout-api"], small_org.teams
        with pytest.raises(PermissionDenied):  # the receiving team cannot take it
            catalog.transfer_service(
                actor=small_org.actor("dan"), service_id=svc.id, version=svc.version, to_team_id=t["payments"].id
            )
        assert catalog.get_service(service_id=svc.id).owner_team_id == t["checkout"].id

    def test_transfer_needs_another_live_team(self, small_org):
        svc, t = small_org.services["checkout-api"], small_org.teams
        with pytest.raises(RuleViolation) as err:
            catalog.transfer_service(actor=SYSTEM, service_id=svc.id, version=svc.version, to_team_id=t["checkout"].id)
        assert err.value.field == "to_team_id"
        with pytest.raises(RuleViolation) as err:
            catalog.transfer_service(actor=SYSTEM, service_id=svc.id, version=svc.version, to_team_id=999_999)
        assert err.value.field == "to_team_id"
        gone = org.create_team(actor=SYSTEM, slug="gone", name="Gone", org_unit_id=small_org.units["retail"].id)
        org.mark_team_dissolved(actor=SYSTEM, team_id=gone.id, version=gone.version, reason="test")
        with pytest.raises(RuleViolation) as err:
            catalog.transfer_service(actor=SYSTEM, service_id=svc.id, version=svc.version, to_team_id=gone.id)
        assert err.value.field == "to_team_id"
        assert len(catalog.service_detail(service_id=svc.id).ownership) == 1

    def test_a_stale_transfer_is_a_conflict_and_writes_no_history(self, small_org):
        svc, t = small_org.services["checkout-api"], small_org.teams
        catalog.update_service(actor=SYSTEM, service_id=svc.id, version=svc.version, changes=ServiceChanges(tier=2))
        with pytest.raises(Conflict):
            catalog.transfer_service(actor=SYSTEM, service_id=svc.id, version=svc.version, to_team_id=t["payments"].id)
        assert len(catalog.service_detail(service_id=svc.id).ownership) == 1
        assert catalog.get_service(service_id=svc.id).owner_team_id == t["checkout"].id


# ------------------------------------------------------------------------------------------------ interfaces


@pytest.mark.django_db
class TestInterfaces:
    def test_a_member_adds_an_interface_of_any_technology(self, small_org):
        svc = small_org.services["checkout-api"]
        interface = catalog.create_interface(
            actor=small_org.actor("bob"),
            service_id=svc.id,
            name="checkout-events",
            type="Kafka-Avro",
            api_version="2",
            definition="{}",
            docs_url="https://docs.acme.test/checkout",
            auth_scheme="mtls",
            visibility="public",
        )
        assert (interface.type, interface.service_id, interface.visibility) == ("kafka-avro", svc.id, "public")
        assert catalog.get_interface(interface_id=interface.id) == interface

    def test_a_non_member_may_not_add_or_change_an_interface(self, small_org):
        with pytest.raises(PermissionDenied):
            catalog.create_interface(
                actor=small_org.actor("eve"), service_id=small_org.services["checkout-api"].id, name="checkout-grpc"
            )
        http = small_org.interfaces["checkout-http"]
        with pytest.raises(PermissionDenied):
            catalog.update_interface(
                actor=small_org.actor("eve"),
                interface_id=http.id,
                version=http.version,
                changes=InterfaceChanges(api_version="9"),
            )
        with pytest.raises(PermissionDenied):
            catalog.delete_interface(actor=small_org.actor("eve"), interface_id=http.id, version=http.version)

    def test_interface_needs_an_existing_provider(self, small_org):
        with pytest.raises(RuleViolation) as err:
            catalog.create_interface(actor=SYSTEM, service_id=999_999, name="ghost-http")
        assert err.value.field == "service_id"

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"name": "Bad Name"}, "name"),
            ({"visibility": "secret"}, "visibility"),
            ({"docs_url": "javascript:alert(1)"}, "docs_url"),
            ({"type": ""}, "type"),
            ({"lifecycle": "gone"}, "lifecycle"),
        ],
    )
    def test_invalid_interface_fields_are_refused_by_name(self, small_org, values, field):
        with pytest.raises(RuleViolation) as err:
            catalog.create_interface(
                actor=SYSTEM, service_id=small_org.services["checkout-api"].id, **{"name": "checkout-grpc", **values}
            )
        assert err.value.field == field

    def test_duplicate_interface_name_is_a_conflict(self, small_org):
        with pytest.raises(Conflict) as err:
            catalog.create_interface(
                actor=SYSTEM, service_id=small_org.services["identity-api"].id, name="payments-http"
            )
        assert err.value.field == "name"

    def test_update_interface_and_stale_version(self, small_org):
        http = small_org.interfaces["checkout-http"]
        after = catalog.update_interface(
            actor=small_org.actor("ann"),
            interface_id=http.id,
            version=http.version,
            changes=InterfaceChanges(api_version="1.1", definition="openapi: 3.1.0"),
        )
        assert (after.api_version, after.definition, after.version) == ("1.1", "openapi: 3.1.0", http.version + 1)
        with pytest.raises(Conflict):
            catalog.update_interface(
                actor=SYSTEM, interface_id=http.id, version=http.version, changes=InterfaceChanges(api_version="1.2")
            )

    def test_an_interface_cannot_be_deleted_while_it_is_consumed(self, small_org):
        http = small_org.interfaces["payments-http"]
        edge = consume(small_org, "checkout-api", "payments-http")
        with pytest.raises(RuleViolation) as err:
            catalog.delete_interface(actor=small_org.actor("dan"), interface_id=http.id, version=http.version)
        assert err.value.field == "interface_id"
        assert err.value.details["consumers"] == ["checkout-api"]
        catalog.remove_dependency(actor=small_org.actor("bob"), dependency_id=edge.id, version=edge.version)
        catalog.delete_interface(
            actor=small_org.actor("dan"), interface_id=http.id, version=http.version, reason="nobody calls it"
        )
        with pytest.raises(NotFound):
            catalog.get_interface(interface_id=http.id)
        change = history("interface", http.id)[0]
        assert (change.verb, change.before["name"], change.after, change.reason) == (
            "delete",
            "payments-http",
            None,
            "nobody calls it",
        )

    def test_deleting_with_a_stale_version_is_a_conflict(self, small_org):
        http = small_org.interfaces["identity-http"]
        catalog.update_interface(
            actor=SYSTEM, interface_id=http.id, version=http.version, changes=InterfaceChanges(auth_scheme="oidc")
        )
        with pytest.raises(Conflict):
            catalog.delete_interface(actor=SYSTEM, interface_id=http.id, version=http.version)
        assert catalog.get_interface(interface_id=http.id).auth_scheme == "oidc"

    def test_list_interfaces_filters(self, small_org):
        names = lambda page: [i.name for i in page.items]  # noqa: E731
        catalog.create_interface(
            actor=SYSTEM,
            service_id=small_org.services["checkout-api"].id,
            name="checkout-events",
            type="asyncapi",
            description="order placed events",
        )
        assert names(catalog.list_interfaces(service_id=small_org.services["checkout-api"].id)) == [
            "checkout-events",
            "checkout-http",
        ]
        assert names(catalog.list_interfaces(team_id=small_org.teams["payments"].id)) == ["payments-http"]
        assert names(catalog.list_interfaces(type="asyncapi")) == ["checkout-events"]
        assert names(catalog.list_interfaces(text="placed")) == ["checkout-events"]


# ------------------------------------------------------------------------------------------------ datastores


@pytest.mark.django_db
class TestDatastores:
    def test_a_member_adds_a_datastore_owned_by_their_service(self, small_org):
        store = catalog.create_datastore(
            actor=small_org.actor("bob"),
            name="cart-cache",
            type="cache",
            owner_service_id=small_org.services["checkout-api"].id,
        )
        assert (store.type, store.owner_service_id) == ("cache", small_org.services["checkout-api"].id)
        with pytest.raises(PermissionDenied):
            catalog.create_datastore(
                actor=small_org.actor("eve"), name="eve-db", owner_service_id=small_org.services["checkout-api"].id
            )

    def test_datastore_needs_an_owner_a_known_type_and_a_unique_name(self, small_org):
        svc = small_org.services["checkout-api"].id
        with pytest.raises(RuleViolation) as err:
            catalog.create_datastore(actor=SYSTEM, name="x-db", owner_service_id=999_999)
        assert err.value.field == "owner_service_id"
        with pytest.raises(RuleViolation) as err:
            catalog.create_datastore(actor=SYSTEM, name="x-db", owner_service_id=svc, type="spreadsheet")
        assert err.value.field == "type"
        with pytest.raises(Conflict) as err:
            catalog.create_datastore(actor=SYSTEM, name="ledger-db", owner_service_id=svc)
        assert err.value.field == "name"

    def test_moving_a_datastore_needs_the_right_to_change_both_owners(self, small_org):
        store = small_org.datastores["orders-db"]
        with pytest.raises(PermissionDenied):  # bob owns orders-db's service but not payments-api
            catalog.update_datastore(
                actor=small_org.actor("bob"),
                datastore_id=store.id,
                version=store.version,
                changes=DatastoreChanges(owner_service_id=small_org.services["payments-api"].id),
            )
        after = catalog.update_datastore(
            actor=SYSTEM,
            datastore_id=store.id,
            version=store.version,
            changes=DatastoreChanges(owner_service_id=small_org.services["payments-api"].id, type="bucket"),
        )
        assert (after.owner_service_id, after.type) == (small_org.services["payments-api"].id, "bucket")

    def test_deleting_a_datastore_removes_its_access_edges_and_records_them(self, small_org):
        store = small_org.datastores["ledger-db"]
        edge = catalog.add_dependency(
            actor=SYSTEM, service_id=small_org.services["checkout-api"].id, kind="accesses", datastore_id=store.id
        )
        catalog.delete_datastore(actor=small_org.actor("eve"), datastore_id=store.id, version=store.version)
        with pytest.raises(NotFound):
            catalog.get_dependency(dependency_id=edge.id)
        assert history("datastore", store.id)[0].after == {"removed_access_from": ["checkout-api"]}

    def test_list_datastores_filters(self, small_org):
        names = lambda page: [d.name for d in page.items]  # noqa: E731
        assert names(catalog.list_datastores(service_id=small_org.services["payments-api"].id)) == ["ledger-db"]
        assert names(catalog.list_datastores(team_id=small_org.teams["checkout"].id)) == ["orders-db"]
        assert names(catalog.list_datastores(text="ledger")) == ["ledger-db"]
        assert names(catalog.list_datastores(type="database")) == ["ledger-db", "orders-db"]


# ------------------------------------------------------------------------------------------------ dependencies


@pytest.mark.django_db
class TestDependencies:
    def test_consumes_names_an_interface_and_has_no_access_mode(self, small_org):
        o = small_org
        edge = catalog.add_dependency(
            actor=o.actor("bob"),
            service_id=o.services["checkout-api"].id,
            kind="consumes",
            interface_id=o.interfaces["payments-http"].id,
            access="read",
            description="to take payments",
        )
        assert (edge.kind, edge.interface_id, edge.datastore_id, edge.target_service_id) == (
            DependencyKind.CONSUMES,
            o.interfaces["payments-http"].id,
            None,
            None,
        )
        assert (edge.target_name, edge.target_owner_service_id, edge.access) == (
            "payments-http",
            o.services["payments-api"].id,
            "",
        )
        with pytest.raises(RuleViolation) as err:
            catalog.update_dependency(
                actor=SYSTEM, dependency_id=edge.id, version=edge.version, changes=DependencyChanges(access="read")
            )
        assert err.value.field == "access"

    def test_accesses_names_a_datastore_with_an_access_mode(self, small_org):
        o = small_org
        edge = catalog.add_dependency(
            actor=SYSTEM,
            service_id=o.services["checkout-api"].id,
            kind="accesses",
            datastore_id=o.datastores["ledger-db"].id,
        )
        assert (edge.access, edge.target_owner_service_id) == ("read-write", o.services["payments-api"].id)
        after = catalog.update_dependency(
            actor=o.actor("cat"),
            dependency_id=edge.id,
            version=edge.version,
            changes=DependencyChanges(access="read", description="reports"),
        )
        assert (after.access, after.description, after.version) == ("read", "reports", edge.version + 1)
        with pytest.raises(RuleViolation) as err:
            catalog.update_dependency(
                actor=SYSTEM, dependency_id=edge.id, version=after.version, changes=DependencyChanges(access="append")
            )
        assert err.value.field == "access"
        with pytest.raises(RuleViolation) as err:
            catalog.add_dependency(
                actor=SYSTEM,
                service_id=o.services["identity-api"].id,
                kind="accesses",
                datastore_id=o.datastores["ledger-db"].id,
                access="delete",
            )
        assert err.value.field == "access"

    def test_links_names_another_service(self, small_org):
        o = small_org
        edge = catalog.add_dependency(
            actor=SYSTEM,
            service_id=o.services["checkout-api"].id,
            kind="links",
            target_service_id=o.services["identity-api"].id,
        )
        assert (edge.target_name, edge.target_owner_service_id, edge.access) == (
            "identity-api",
            o.services["identity-api"].id,
            "",
        )

    @pytest.mark.parametrize(
        ("kind", "targets", "field"),
        [
            ("consumes", {}, "interface_id"),
            ("consumes", {"interface": "payments-http", "datastore": "ledger-db"}, "interface_id"),
            ("accesses", {}, "datastore_id"),
            ("accesses", {"datastore": "ledger-db", "service": "identity-api"}, "datastore_id"),
            ("links", {}, "target_service_id"),
            ("links", {"service": "identity-api", "interface": "payments-http"}, "target_service_id"),
        ],
    )
    def test_an_edge_names_exactly_the_one_target_its_kind_needs(self, small_org, kind, targets, field):
        o = small_org
        ids = {
            "interface_id": o.interfaces[targets["interface"]].id if "interface" in targets else None,
            "datastore_id": o.datastores[targets["datastore"]].id if "datastore" in targets else None,
            "target_service_id": o.services[targets["service"]].id if "service" in targets else None,
        }
        with pytest.raises(RuleViolation) as err:
            catalog.add_dependency(actor=SYSTEM, service_id=o.services["checkout-api"].id, kind=kind, **ids)
        assert err.value.field == field

    @pytest.mark.parametrize(
        ("kind", "field"), [("consumes", "interface_id"), ("accesses", "datastore_id"), ("links", "target_service_id")]
    )
    def test_an_edge_to_an_unknown_target_is_refused(self, small_org, kind, field):
        with pytest.raises(RuleViolation) as err:
            catalog.add_dependency(
                actor=SYSTEM, service_id=small_org.services["checkout-api"].id, kind=kind, **{field: 999_999}
            )
        assert err.value.field == field

    def test_an_unknown_kind_or_service_is_refused(self, small_org):
        with pytest.raises(RuleViolation) as err:
            catalog.add_dependency(
                actor=SYSTEM,
                service_id=small_org.services["checkout-api"].id,
                kind="calls",
                interface_id=small_org.interfaces["payments-http"].id,
            )
        assert err.value.field == "kind"
        with pytest.raises(RuleViolation) as err:
            catalog.add_dependency(
                actor=SYSTEM, service_id=999_999, kind="consumes", interface_id=small_org.interfaces["payments-http"].id
            )
        assert err.value.field == "service_id"

    def test_a_service_does_not_consume_its_own_interface_or_link_itself(self, small_org):
        o = small_org
        with pytest.raises(RuleViolation) as err:
            consume(o, "checkout-api", "checkout-http")
        assert err.value.field == "interface_id"
        with pytest.raises(RuleViolation) as err:
            catalog.add_dependency(
                actor=SYSTEM,
                service_id=o.services["checkout-api"].id,
                kind="links",
                target_service_id=o.services["checkout-api"].id,
            )
        assert err.value.field == "target_service_id"

    def test_a_service_may_access_its_own_datastore(self, small_org):
        o = small_org
        edge = catalog.add_dependency(
            actor=SYSTEM,
            service_id=o.services["checkout-api"].id,
            kind="accesses",
            datastore_id=o.datastores["orders-db"].id,
        )
        assert edge.target_owner_service_id == o.services["checkout-api"].id

    @pytest.mark.parametrize(
        ("kind", "field", "target"),
        [
            ("consumes", "interface_id", "payments-http"),
            ("accesses", "datastore_id", "ledger-db"),
            ("links", "target_service_id", "identity-api"),
        ],
    )
    def test_a_duplicate_edge_is_a_conflict_naming_its_target(self, small_org, kind, field, target):
        o = small_org
        target_id = {
            **{k: v.id for k, v in o.interfaces.items()},
            **{k: v.id for k, v in o.datastores.items()},
            **{k: v.id for k, v in o.services.items()},
        }[target]
        catalog.add_dependency(actor=SYSTEM, service_id=o.services["checkout-api"].id, kind=kind, **{field: target_id})
        size = log_size()
        with pytest.raises(Conflict) as err:
            catalog.add_dependency(
                actor=SYSTEM, service_id=o.services["checkout-api"].id, kind=kind, **{field: target_id}
            )
        assert err.value.field == field
        assert log_size() == size
        assert catalog.list_dependencies(service_id=o.services["checkout-api"].id).total == 1

    def test_only_the_depending_services_team_records_its_edges(self, small_org):
        with pytest.raises(PermissionDenied):  # payments cannot declare what checkout depends on
            consume(small_org, "checkout-api", "payments-http", actor="dan")
        edge = consume(small_org, "checkout-api", "payments-http", actor="bob")
        with pytest.raises(PermissionDenied):
            catalog.update_dependency(
                actor=small_org.actor("dan"),
                dependency_id=edge.id,
                version=edge.version,
                changes=DependencyChanges(description="x"),
            )
        with pytest.raises(PermissionDenied):
            catalog.remove_dependency(actor=small_org.actor("dan"), dependency_id=edge.id, version=edge.version)

    def test_an_edges_ends_are_fixed(self, small_org):
        # Only the access mode and description are in the update contract; the ends are not.
        assert field_names(DependencyChanges) == ("access", "description")
        with pytest.raises(TypeError):
            DependencyChanges(interface_id=small_org.interfaces["identity-http"].id)

    def test_removing_an_edge_with_a_stale_version_is_a_conflict(self, small_org):
        edge = consume(small_org, "checkout-api", "payments-http")
        catalog.update_dependency(
            actor=SYSTEM, dependency_id=edge.id, version=edge.version, changes=DependencyChanges(description="x")
        )
        with pytest.raises(Conflict):
            catalog.remove_dependency(actor=SYSTEM, dependency_id=edge.id, version=edge.version)
        catalog.remove_dependency(actor=SYSTEM, dependency_id=edge.id, version=edge.version + 1, reason="gone")
        with pytest.raises(NotFound):
            catalog.get_dependency(dependency_id=edge.id)

    def test_list_dependencies_filters(self, small_org):
        o = small_org
        consume(o, "checkout-api", "payments-http", actor="bob")
        catalog.add_dependency(
            actor=SYSTEM,
            service_id=o.services["checkout-api"].id,
            kind="accesses",
            datastore_id=o.datastores["ledger-db"].id,
        )
        catalog.add_dependency(
            actor=SYSTEM,
            service_id=o.services["identity-api"].id,
            kind="links",
            target_service_id=o.services["checkout-api"].id,
        )
        targets = lambda page: sorted(d.target_name for d in page.items)  # noqa: E731
        assert targets(catalog.list_dependencies(service_id=o.services["checkout-api"].id)) == [
            "ledger-db",
            "payments-http",
        ]
        assert targets(catalog.list_dependencies(kind="links")) == ["checkout-api"]
        assert targets(catalog.list_dependencies(team_id=o.teams["identity"].id)) == ["checkout-api"]
        assert targets(catalog.list_dependencies(target_service_id=o.services["payments-api"].id)) == [
            "ledger-db",
            "payments-http",
        ]
        with pytest.raises(RuleViolation):
            catalog.list_dependencies(kind="calls")


# ------------------------------------------------------------------------------------------------ graph, counts


@pytest.mark.django_db
def test_team_edges_roll_up_cross_team_dependencies_only(small_org):
    o = small_org
    cart = catalog.create_service(actor=SYSTEM, name="cart-api", owner_team_id=o.teams["checkout"].id)
    consume(o, "checkout-api", "payments-http", actor="bob")
    catalog.add_dependency(
        actor=SYSTEM, service_id=cart.id, kind="consumes", interface_id=o.interfaces["payments-http"].id
    )
    catalog.add_dependency(
        actor=SYSTEM,
        service_id=o.services["checkout-api"].id,
        kind="accesses",
        datastore_id=o.datastores["ledger-db"].id,
    )  # a back door into payments' database
    catalog.add_dependency(
        actor=SYSTEM,
        service_id=o.services["checkout-api"].id,
        kind="links",
        target_service_id=o.services["identity-api"].id,
    )
    # Inside one team: not an edge between teams.
    catalog.add_dependency(
        actor=SYSTEM, service_id=cart.id, kind="consumes", interface_id=o.interfaces["checkout-http"].id
    )
    catalog.add_dependency(actor=SYSTEM, service_id=cart.id, kind="accesses", datastore_id=o.datastores["orders-db"].id)

    edges = {(e.from_team_id, e.to_team_id): (e.count, e.kinds) for e in catalog.team_edges()}

    t = o.teams
    assert edges == {
        (t["checkout"].id, t["payments"].id): (3, ("accesses", "consumes")),
        (t["checkout"].id, t["identity"].id): (1, ("links",)),
    }
    only_identity = catalog.team_edges(team_id=t["identity"].id)
    assert [(e.from_team_id, e.to_team_id) for e in only_identity] == [(t["checkout"].id, t["identity"].id)]


@pytest.mark.django_db
def test_catalog_counts(small_org):
    consume(small_org, "checkout-api", "payments-http")
    counts = catalog.catalog_counts()
    assert (counts.services, counts.interfaces, counts.datastores, counts.dependencies) == (3, 3, 2, 1)


# ------------------------------------------------------------------------------------------------ audit


def _writes(o) -> dict:
    """Every catalog write: a function doing it and returning (subject type, subject id)."""
    s, i, d = o.services, o.interfaces, o.datastores
    bob = o.actor("bob")
    checkout, http, orders = s["checkout-api"], i["checkout-http"], d["orders-db"]

    def update_edge():
        edge = consume(o, "checkout-api", "payments-http", actor="bob")
        return catalog.update_dependency(
            actor=bob, dependency_id=edge.id, version=edge.version, changes=DependencyChanges(description="pay")
        ).id

    def remove_edge():
        edge = consume(o, "checkout-api", "payments-http", actor="bob")
        catalog.remove_dependency(actor=bob, dependency_id=edge.id, version=edge.version)
        return edge.id

    def delete_interface():
        catalog.delete_interface(actor=bob, interface_id=http.id, version=http.version)
        return http.id

    def delete_datastore():
        catalog.delete_datastore(actor=bob, datastore_id=orders.id, version=orders.version)
        return orders.id

    return {
        "service create": lambda: (
            catalog.create_service(actor=bob, name="cart-api", owner_team_id=o.teams["checkout"].id).id
        ),
        "service update": lambda: (
            catalog.update_service(
                actor=bob, service_id=checkout.id, version=checkout.version, changes=ServiceChanges(title="Checkout")
            ).id
        ),
        "service retire": lambda: (
            catalog.retire_service(actor=bob, service_id=checkout.id, version=checkout.version, reason="old").id
        ),
        "service transfer": lambda: (
            catalog.transfer_service(
                actor=bob, service_id=checkout.id, version=checkout.version, to_team_id=o.teams["identity"].id
            ).id
        ),
        "interface create": lambda: (
            catalog.create_interface(actor=bob, service_id=checkout.id, name="checkout-grpc", type="grpc").id
        ),
        "interface update": lambda: (
            catalog.update_interface(
                actor=bob, interface_id=http.id, version=http.version, changes=InterfaceChanges(api_version="2")
            ).id
        ),
        "interface delete": delete_interface,
        "datastore create": lambda: (
            catalog.create_datastore(actor=bob, name="cart-cache", type="cache", owner_service_id=checkout.id).id
        ),
        "datastore update": lambda: (
            catalog.update_datastore(
                actor=bob,
                datastore_id=orders.id,
                version=orders.version,
                changes=DatastoreChanges(description="orders"),
            ).id
        ),
        "datastore delete": delete_datastore,
        "dependency create": lambda: consume(o, "checkout-api", "payments-http", actor="bob").id,
        "dependency update": update_edge,
        "dependency delete": remove_edge,
    }


CATALOG_WRITES = [
    "service create",
    "service update",
    "service retire",
    "service transfer",
    "interface create",
    "interface update",
    "interface delete",
    "datastore create",
    "datastore update",
    "datastore delete",
    "dependency create",
    "dependency update",
    "dependency delete",
]


@pytest.mark.django_db
@pytest.mark.parametrize("write", CATALOG_WRITES)
def test_every_catalog_write_records_exactly_one_change(small_org, write):
    subject_type, verb = write.split()
    size = log_size()
    subject_id = _writes(small_org)[write]()
    setup = 1 if write in ("dependency update", "dependency delete") else 0  # the edge it changes is made first
    assert log_size() == size + 1 + setup
    change = audit_services.list_changes(actor=SYSTEM, limit=1).items[0]
    assert (change.subject_type, change.subject_id, change.verb) == (subject_type, str(subject_id), verb)
    assert change.actor_label == "bob"
    if verb == "create":
        assert change.before is None and change.after["id"] == subject_id
    elif verb == "delete":
        assert change.before["id"] == subject_id
    else:
        assert change.before["version"] + 1 == change.after["version"]


# ------------------------------------------------------------------------------------------------ concurrency


@pytest.mark.django_db
def test_of_two_updates_naming_the_same_version_exactly_one_wins(small_org):
    svc = small_org.services["checkout-api"]
    first = catalog.update_service(
        actor=small_org.actor("bob"),
        service_id=svc.id,
        version=svc.version,
        changes=ServiceChanges(description="bob's words"),
    )
    with pytest.raises(Conflict) as err:
        catalog.update_service(
            actor=small_org.actor("cat"),
            service_id=svc.id,
            version=svc.version,
            changes=ServiceChanges(description="cat's words"),
        )
    assert err.value.field == "version"
    assert err.value.details == {"field": "version", "expected": svc.version, "current": first.version}
    assert catalog.get_service(service_id=svc.id).description == "bob's words"
    assert [c.actor_label for c in history("service", svc.id)][:1] == ["bob"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writers_naming_the_same_version_one_wins_one_gets_conflict(small_org):
    o = small_org
    svc = o.services["checkout-api"]

    outcomes = at_the_same_time(
        lambda handle: catalog.update_service(
            actor=o.actor(handle),
            service_id=svc.id,
            version=svc.version,
            changes=ServiceChanges(description=f"{handle}'s words"),
        )
    )

    assert sorted(outcomes.values()) == ["conflict", "ok"], outcomes
    winner = next(h for h, outcome in outcomes.items() if outcome == "ok")
    after = catalog.get_service(service_id=svc.id)
    assert (after.description, after.version) == (f"{winner}'s words", svc.version + 1)
    assert [c.actor_label for c in history("service", svc.id) if c.verb == "update"] == [winner]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("record", ["service", "interface", "datastore"])
def test_two_concurrent_creates_of_one_name_one_wins_one_gets_conflict(small_org, record):
    o = small_org
    create = {
        "service": lambda actor: catalog.create_service(actor=actor, name="twin", owner_team_id=o.teams["checkout"].id),
        "interface": lambda actor: catalog.create_interface(
            actor=actor, name="twin", service_id=o.services["checkout-api"].id
        ),
        "datastore": lambda actor: catalog.create_datastore(
            actor=actor, name="twin", owner_service_id=o.services["checkout-api"].id
        ),
    }[record]

    outcomes = at_the_same_time(lambda handle: create(o.actor(handle)))

    assert sorted(outcomes.values()) == ["conflict", "ok"], outcomes
    assert catalog.catalog_counts() == CatalogCounts(
        services=3 + (record == "service"),
        interfaces=3 + (record == "interface"),
        datastores=2 + (record == "datastore"),
        dependencies=0,
    )

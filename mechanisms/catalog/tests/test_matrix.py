"""Who may see and change the catalog, as a table (kernel.testing.check_matrix): every signed-in person reads it,
the owning team (members, leader) and admins change it, and a refused change changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog
from mechanisms.catalog.cli import services_app
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import api_door, check_matrix, cli_door, listing_door, page_door

pytestmark = pytest.mark.django_db

ROLES = {
    "admin": "admin",
    "member": "bob",
    "leader": "ann",
    "manager": "vp-retail",
    "other": "eve",
    "recruiter": "hal",
}


def test_the_catalog_is_open_to_everyone_signed_in(small_org, as_):
    def searched(handle, service):
        items = as_(handle).get(f"/api/v1/services?text={service.name}").json()["items"] if handle else []
        return any(s["id"] == service.id for s in items)

    check_matrix(
        """
                    checkout-api  identity-api
        admin       allowed       allowed
        member      allowed       allowed
        other       allowed       allowed
        recruiter   allowed       allowed
        anonymous   401           401
        """,
        doors=[
            api_door(lambda s: f"/api/v1/services/{s.id}", client_for=as_),
            api_door(lambda s: f"/api/v1/services/{s.id}/detail", client_for=as_, name="api detail"),
            page_door(lambda s: f"/services/{s.name}"),
        ],
        records=small_org.services,
        roles=ROLES,
    )
    check_matrix(
        """
                    checkout-api  identity-api
        member      allowed       allowed
        other       allowed       allowed
        anonymous   404           404
        """,
        doors=[listing_door(searched, name="api search")],
        records=small_org.services,
        roles=ROLES,
    )
    check_matrix(
        """
                    checkout-api  identity-api
        member      allowed       allowed
        other       allowed       allowed
        admin       allowed       allowed
        """,
        doors=[cli_door(services_app, lambda s: ["show", s.name], name="cli services show")],
        records=small_org.services,
        roles=ROLES,
    )


def test_a_service_is_changed_by_its_owning_team_and_admins_only(small_org, as_):
    def state(service):
        current = catalog.get_service(actor=Actor.system("test"), service_id=service.id)
        return current.version, audit_services.list_changes(actor=small_org.actor("admin"), limit=1).total

    def patch(service):
        return {
            "version": catalog.get_service(actor=Actor.system("test"), service_id=service.id).version,
            "description": "Rewritten.",
        }

    check_matrix(
        """
                    checkout-api
        manager     403
        other       403
        recruiter   403
        anonymous   401
        member      allowed
        leader      allowed
        admin       allowed
        """,
        doors=[api_door(lambda s: f"/api/v1/services/{s.id}", method="patch", body=patch, client_for=as_)],
        records={"checkout-api": small_org.services["checkout-api"]},
        roles=ROLES,
        unchanged=state,
    )


def test_every_catalog_read_refuses_an_unauthenticated_actor(small_org):
    from mechanisms.kernel.actor import Actor
    from mechanisms.kernel.errors import PermissionDenied

    nobody = Actor.anonymous()
    service = small_org.services["checkout-api"]
    reads = [
        lambda: catalog.get_service(actor=nobody, service_id=service.id),
        lambda: catalog.find_service(actor=nobody, name=service.name),
        lambda: catalog.list_services(actor=nobody),
        lambda: catalog.service_detail(actor=nobody, service_id=service.id),
        lambda: catalog.list_interfaces(actor=nobody),
        lambda: catalog.list_datastores(actor=nobody),
        lambda: catalog.list_dependencies(actor=nobody),
        lambda: catalog.team_edges(actor=nobody),
        lambda: catalog.catalog_counts(actor=nobody),
    ]
    for read in reads:
        with pytest.raises(PermissionDenied):
            read()

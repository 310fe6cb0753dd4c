"""Catalog API (/api/v1/...): shapes, status codes, authentication and the OpenAPI document.

The rules themselves are tested in test_services.py; here each operation is driven over HTTP the way a client
would, with the `small_org` fixture's accounts (see conftest.py).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from mechanisms.kernel.testing import PASSWORD, error_of, field_of

pytestmark = pytest.mark.django_db

JSON = "application/json"


# ------------------------------------------------------------------------------------------------ authentication


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/services"),
        ("get", "/api/v1/services/1/detail"),
        ("get", "/api/v1/catalog/counts"),
        ("post", "/api/v1/services"),
        ("patch", "/api/v1/services/1"),
        ("delete", "/api/v1/interfaces/1?version=1"),
    ],
)
def test_without_credentials_every_operation_is_401(small_org, method, url):
    client = Client(enforce_csrf_checks=True)  # like curl: no cookie, no token
    response = getattr(client, method)(
        url,
        *([{}] if method in ("post", "patch") else []),
        **({"content_type": JSON} if method in ("post", "patch") else {}),
    )
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_a_wrong_or_revoked_bearer_token_is_401(small_org, api_client):
    assert Client(HTTP_AUTHORIZATION="Bearer mech_not-a-token").get("/api/v1/services").status_code == 401
    from mechanisms.org import services as org

    issued = org.issue_api_token(actor=small_org.actor("bob"), name="old")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get("/api/v1/services").status_code == 200
    org.revoke_api_token(actor=small_org.actor("bob"), token_id=issued.info.id)
    assert client.get("/api/v1/services").status_code == 401


def test_a_signed_in_session_reads_the_api(small_org):
    client = Client()
    assert client.login(username="bob", password=PASSWORD)
    response = client.get("/api/v1/services")
    assert response.status_code == 200
    assert response.json()["total"] == 3


def test_a_session_write_without_the_csrf_token_is_refused(small_org):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    response = client.post(
        "/api/v1/services", {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id}, content_type=JSON
    )
    assert response.status_code == 403
    assert client.get("/api/v1/services?text=cart").json()["total"] == 0  # safe methods need no token


def test_a_session_write_with_the_csrf_token_passes(small_org):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="bob", password=PASSWORD)
    token = get_random_string(32)  # what a page would have set as the csrftoken cookie and put in the form
    client.cookies["csrftoken"] = token
    response = client.post(
        "/api/v1/services",
        {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id},
        content_type=JSON,
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "cart-api"
    wrong = client.post(
        "/api/v1/services",
        {"name": "cart-api-2", "owner_team_id": small_org.teams["checkout"].id},
        content_type=JSON,
        HTTP_X_CSRFTOKEN=get_random_string(32),
    )
    assert wrong.status_code == 403


def test_a_bearer_token_needs_no_csrf_token(small_org, api_client):
    from mechanisms.org import services as org

    issued = org.issue_api_token(actor=small_org.actor("bob"), name="ci")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    response = client.post(
        "/api/v1/services", {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id}, content_type=JSON
    )
    assert response.status_code == 201


# ------------------------------------------------------------------------------------------------ services


def test_list_services_shape_and_filters(small_org, as_):
    client = as_("eve")  # reading needs no membership
    body = client.get("/api/v1/services").json()
    assert set(body) == {"items", "total", "limit", "offset", "next_offset"}
    assert (body["total"], body["limit"], body["offset"], body["next_offset"]) == (3, 50, 0, None)
    assert set(body["items"][0]) == {
        "id",
        "name",
        "title",
        "description",
        "owner_team_id",
        "owner_ref",
        "lifecycle",
        "kind",
        "tier",
        "repository",
        "on_call",
        "version",
    }
    names = lambda url: [s["name"] for s in client.get(url).json()["items"]]  # noqa: E731
    assert names(f"/api/v1/services?team_id={small_org.teams['payments'].id}") == ["payments-api"]
    assert names(f"/api/v1/services?org_unit_id={small_org.units['platform'].id}") == ["identity-api"]
    assert names(f"/api/v1/services?org_unit_id={small_org.units['acme'].id}") == [
        "checkout-api",
        "identity-api",
        "payments-api",
    ]
    assert names("/api/v1/services?text=identity") == ["identity-api"]
    assert names("/api/v1/services?lifecycle=experimental") == []
    assert names("/api/v1/services?tier=3&limit=2") == ["checkout-api", "identity-api"]
    assert client.get("/api/v1/services?limit=2").json()["next_offset"] == 2


@pytest.mark.parametrize(("asked", "given"), [(1000, 200), (200, 200), (7, 7), (0, 50), (-3, 50)])
def test_page_size_over_the_maximum_is_clamped(small_org, as_, asked, given):
    assert as_("eve").get(f"/api/v1/services?limit={asked}").json()["limit"] == given


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tier=abc", "tier"),
        ("tier=9", "tier"),
        ("lifecycle=legacy", "lifecycle"),
        ("team_id=x", "team_id"),
        ("team_id=100000000000000000000", "team_id"),
        ("limit=lots", "limit"),
        ("text=a%00b", "text"),
    ],
)
def test_a_bad_filter_is_422_naming_it(small_org, as_, query, field):
    response = as_("eve").get(f"/api/v1/services?{query}")
    assert response.status_code == 422
    assert field_of(response) == field


def test_a_huge_offset_is_an_empty_page_not_an_error(small_org, as_):
    response = as_("eve").get("/api/v1/services?offset=100000000000000000000")
    assert response.status_code == 200
    assert (response.json()["items"], response.json()["total"]) == ([], 3)


def test_create_service_is_201_with_the_service(small_org, as_):
    response = as_("bob").post(
        "/api/v1/services",
        {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id, "tier": 2, "lifecycle": "experimental"},
        content_type=JSON,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["tier"], body["lifecycle"], body["version"]) == ("cart-api", 2, "experimental", 1)
    assert as_("bob").get(f"/api/v1/services/{body['id']}").json() == body


def test_a_non_member_creating_or_changing_a_service_is_403(small_org, as_):
    svc = small_org.services["checkout-api"]
    response = as_("eve").post(
        "/api/v1/services", {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id}, content_type=JSON
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"
    assert (
        as_("eve").patch(f"/api/v1/services/{svc.id}", {"version": 1, "tier": 1}, content_type=JSON).status_code == 403
    )
    assert as_("eve").post(f"/api/v1/services/{svc.id}/retire", {"version": 1}, content_type=JSON).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tier": "abc"}, "tier"),
        ({"tier": 7}, "tier"),
        ({"owner_team_id": "checkout"}, "owner_team_id"),
        ({"name": None}, "name"),
        ({"lifecycle": "legacy"}, "lifecycle"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_wrongly_typed_body_is_422_naming_the_field(small_org, as_, body, field):
    payload = {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id, **body}
    response = as_("bob").post("/api/v1/services", payload, content_type=JSON)
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid"
    assert field_of(response) == field


def test_a_missing_field_is_422_naming_it(small_org, as_):
    response = as_("bob").post("/api/v1/services", {"owner_team_id": small_org.teams["checkout"].id}, content_type=JSON)
    assert (response.status_code, field_of(response)) == (422, "name")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Cart API"}, "name"),
        ({"repository": "ftp://x"}, "repository"),
        ({"owner_team_id": 999999}, "owner_team_id"),
    ],
)
def test_a_rule_breaking_body_is_400_naming_the_field(small_org, as_, body, field):
    payload = {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id, **body}
    response = as_("admin").post("/api/v1/services", payload, content_type=JSON)
    assert response.status_code == 400
    assert error_of(response)["code"] == "rule_violation"
    assert field_of(response) == field


def test_a_duplicate_service_name_is_409_naming_the_field(small_org, as_):
    response = as_("admin").post(
        "/api/v1/services", {"name": "checkout-api", "owner_team_id": small_org.teams["payments"].id}, content_type=JSON
    )
    assert response.status_code == 409
    assert (error_of(response)["code"], field_of(response)) == ("conflict", "name")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/services/999999",
        "/api/v1/services/999999/detail",
        "/api/v1/interfaces/999999",
        "/api/v1/datastores/999999",
        "/api/v1/dependencies/999999",
        "/api/v1/teams/999999/dependencies",
    ],
)
def test_an_unknown_id_is_404(small_org, as_, url):
    response = as_("eve").get(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_id_beyond_any_database_key_is_422(small_org, as_):
    response = as_("eve").get("/api/v1/services/100000000000000000000")
    assert (response.status_code, field_of(response)) == (422, "service_id")


def test_patch_changes_only_the_fields_sent(small_org, as_):
    svc = small_org.services["checkout-api"]
    response = as_("cat").patch(f"/api/v1/services/{svc.id}", {"version": svc.version, "tier": 1}, content_type=JSON)
    assert response.status_code == 200
    body = response.json()
    assert (body["tier"], body["description"], body["version"]) == (1, svc.description, svc.version + 1)


def test_patch_with_a_stale_version_is_409(small_org, as_):
    svc = small_org.services["checkout-api"]
    as_("cat").patch(f"/api/v1/services/{svc.id}", {"version": svc.version, "tier": 1}, content_type=JSON)
    response = as_("bob").patch(f"/api/v1/services/{svc.id}", {"version": svc.version, "tier": 2}, content_type=JSON)
    assert response.status_code == 409
    error = error_of(response)
    assert error["details"] == {"field": "version", "expected": svc.version, "current": svc.version + 1}


def test_patch_needs_the_version(small_org, as_):
    svc = small_org.services["checkout-api"]
    response = as_("cat").patch(f"/api/v1/services/{svc.id}", {"tier": 1}, content_type=JSON)
    assert (response.status_code, field_of(response)) == (422, "version")


def test_the_owner_cannot_be_patched(small_org, as_):
    svc = small_org.services["checkout-api"]
    response = as_("admin").patch(
        f"/api/v1/services/{svc.id}",
        {"version": svc.version, "owner_team_id": small_org.teams["payments"].id},
        content_type=JSON,
    )
    assert (response.status_code, field_of(response)) == (422, "owner_team_id")


def test_retire_and_transfer(small_org, as_):
    svc, t = small_org.services["checkout-api"], small_org.teams
    moved = as_("bob").post(
        f"/api/v1/services/{svc.id}/transfer",
        {"version": svc.version, "to_team_id": t["payments"].id, "reason": "spin-out"},
        content_type=JSON,
    )
    assert moved.status_code == 200
    assert (moved.json()["owner_team_id"], moved.json()["version"]) == (t["payments"].id, svc.version + 1)
    stale = as_("eve").post(f"/api/v1/services/{svc.id}/retire", {"version": svc.version}, content_type=JSON)
    assert stale.status_code == 409
    retired = as_("eve").post(
        f"/api/v1/services/{svc.id}/retire", {"version": moved.json()["version"], "reason": "done"}, content_type=JSON
    )
    assert (retired.status_code, retired.json()["lifecycle"]) == (200, "retired")
    same = as_("eve").post(
        f"/api/v1/services/{svc.id}/transfer",
        {"version": retired.json()["version"], "to_team_id": t["payments"].id},
        content_type=JSON,
    )
    assert (same.status_code, field_of(same)) == (400, "to_team_id")


def test_service_detail_shape(small_org, as_):
    o = small_org
    as_("bob").post(
        "/api/v1/dependencies",
        {
            "service_id": o.services["checkout-api"].id,
            "kind": "consumes",
            "interface_id": o.interfaces["payments-http"].id,
        },
        content_type=JSON,
    )
    body = as_("eve").get(f"/api/v1/services/{o.services['payments-api'].id}/detail").json()
    assert set(body) == {
        "service",
        "interfaces",
        "datastores",
        "dependencies",
        "consumers",
        "consumer_services",
        "dependency_services",
        "ownership",
    }
    assert body["service"]["name"] == "payments-api"
    assert [i["name"] for i in body["interfaces"]] == ["payments-http"]
    assert [d["name"] for d in body["datastores"]] == ["ledger-db"]
    assert body["dependencies"] == []
    assert [(c["kind"], c["target_name"]) for c in body["consumers"]] == [("consumes", "payments-http")]
    assert [s["name"] for s in body["consumer_services"]] == ["checkout-api"]
    assert [(p["team_id"], p["ended_at"], p["reason"]) for p in body["ownership"]] == [
        (o.teams["payments"].id, None, "created")
    ]


# ------------------------------------------------------------------------------------------------ interfaces


def test_interface_create_list_patch_delete(small_org, as_):
    svc = small_org.services["checkout-api"]
    created = as_("bob").post(
        "/api/v1/interfaces",
        {"service_id": svc.id, "name": "checkout-events", "type": "asyncapi", "visibility": "public"},
        content_type=JSON,
    )
    assert created.status_code == 201
    interface = created.json()
    assert set(interface) == {
        "id",
        "name",
        "service_id",
        "type",
        "api_version",
        "description",
        "definition",
        "docs_url",
        "auth_scheme",
        "visibility",
        "lifecycle",
        "version",
    }
    listed = as_("eve").get(f"/api/v1/interfaces?service_id={svc.id}").json()
    assert [i["name"] for i in listed["items"]] == ["checkout-events", "checkout-http"]
    assert [i["name"] for i in as_("eve").get("/api/v1/interfaces?type=asyncapi").json()["items"]] == [
        "checkout-events"
    ]
    patched = as_("cat").patch(
        f"/api/v1/interfaces/{interface['id']}", {"version": 1, "api_version": "2.0"}, content_type=JSON
    )
    assert (patched.status_code, patched.json()["api_version"]) == (200, "2.0")
    stale = as_("cat").delete(f"/api/v1/interfaces/{interface['id']}?version=1")
    assert stale.status_code == 409
    deleted = as_("cat").delete(f"/api/v1/interfaces/{interface['id']}?version=2&reason=unused")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert as_("cat").get(f"/api/v1/interfaces/{interface['id']}").status_code == 404


def test_a_consumed_interface_cannot_be_deleted(small_org, as_):
    o = small_org
    as_("bob").post(
        "/api/v1/dependencies",
        {
            "service_id": o.services["checkout-api"].id,
            "kind": "consumes",
            "interface_id": o.interfaces["payments-http"].id,
        },
        content_type=JSON,
    )
    response = as_("dan").delete(f"/api/v1/interfaces/{o.interfaces['payments-http'].id}?version=1")
    assert response.status_code == 400
    assert error_of(response)["details"] == {"field": "interface_id", "consumers": ["checkout-api"]}


def test_delete_needs_the_version(small_org, as_):
    response = as_("bob").delete(f"/api/v1/interfaces/{small_org.interfaces['checkout-http'].id}")
    assert (response.status_code, field_of(response)) == (422, "version")


def test_a_non_member_may_not_delete_an_interface(small_org, as_):
    response = as_("eve").delete(f"/api/v1/interfaces/{small_org.interfaces['checkout-http'].id}?version=1")
    assert response.status_code == 403


def test_a_bad_visibility_is_422(small_org, as_):
    response = as_("bob").post(
        "/api/v1/interfaces",
        {"service_id": small_org.services["checkout-api"].id, "name": "x-http", "visibility": "secret"},
        content_type=JSON,
    )
    assert (response.status_code, field_of(response)) == (422, "visibility")


# ------------------------------------------------------------------------------------------------ datastores


def test_datastore_create_list_patch_delete(small_org, as_):
    svc = small_org.services["checkout-api"]
    created = as_("bob").post(
        "/api/v1/datastores", {"owner_service_id": svc.id, "name": "cart-cache", "type": "cache"}, content_type=JSON
    )
    assert created.status_code == 201
    store = created.json()
    assert set(store) == {"id", "name", "type", "description", "owner_service_id", "version"}
    assert [d["name"] for d in as_("eve").get("/api/v1/datastores?type=cache").json()["items"]] == ["cart-cache"]
    assert [
        d["name"]
        for d in as_("eve").get(f"/api/v1/datastores?team_id={small_org.teams['checkout'].id}").json()["items"]
    ] == ["cart-cache", "orders-db"]
    patched = as_("cat").patch(
        f"/api/v1/datastores/{store['id']}", {"version": 1, "description": "carts"}, content_type=JSON
    )
    assert (patched.status_code, patched.json()["description"]) == (200, "carts")
    moved = as_("cat").patch(
        f"/api/v1/datastores/{store['id']}",
        {"version": 2, "owner_service_id": small_org.services["payments-api"].id},
        content_type=JSON,
    )
    assert moved.status_code == 403  # cat may not give it to payments
    assert as_("cat").delete(f"/api/v1/datastores/{store['id']}?version=2").status_code == 204


def test_a_duplicate_datastore_is_409_and_a_bad_type_422(small_org, as_):
    svc = small_org.services["checkout-api"]
    dup = as_("bob").post("/api/v1/datastores", {"owner_service_id": svc.id, "name": "ledger-db"}, content_type=JSON)
    assert (dup.status_code, field_of(dup)) == (409, "name")
    bad = as_("bob").post(
        "/api/v1/datastores", {"owner_service_id": svc.id, "name": "x-db", "type": "excel"}, content_type=JSON
    )
    assert (bad.status_code, field_of(bad)) == (422, "type")


# ------------------------------------------------------------------------------------------------ dependencies


def test_dependency_create_get_patch_delete(small_org, as_):
    o = small_org
    created = as_("bob").post(
        "/api/v1/dependencies",
        {
            "service_id": o.services["checkout-api"].id,
            "kind": "accesses",
            "datastore_id": o.datastores["ledger-db"].id,
            "access": "read",
        },
        content_type=JSON,
    )
    assert created.status_code == 201
    edge = created.json()
    assert set(edge) == {
        "id",
        "service_id",
        "kind",
        "interface_id",
        "datastore_id",
        "target_service_id",
        "target_name",
        "target_owner_service_id",
        "access",
        "description",
        "version",
    }
    assert (edge["kind"], edge["access"], edge["target_name"], edge["target_owner_service_id"]) == (
        "accesses",
        "read",
        "ledger-db",
        o.services["payments-api"].id,
    )
    assert as_("eve").get(f"/api/v1/dependencies/{edge['id']}").json() == edge
    patched = as_("bob").patch(
        f"/api/v1/dependencies/{edge['id']}", {"version": 1, "access": "read-write"}, content_type=JSON
    )
    assert (patched.status_code, patched.json()["access"]) == (200, "read-write")
    assert as_("bob").delete(f"/api/v1/dependencies/{edge['id']}?version=1").status_code == 409
    assert as_("bob").delete(f"/api/v1/dependencies/{edge['id']}?version=2").status_code == 204


def test_dependency_filters(small_org, as_):
    o = small_org
    for body in (
        {"kind": "consumes", "interface_id": o.interfaces["payments-http"].id},
        {"kind": "links", "target_service_id": o.services["identity-api"].id},
    ):
        assert (
            as_("bob")
            .post("/api/v1/dependencies", {"service_id": o.services["checkout-api"].id, **body}, content_type=JSON)
            .status_code
            == 201
        )
    kinds = lambda url: [d["kind"] for d in as_("eve").get(url).json()["items"]]  # noqa: E731
    assert kinds(f"/api/v1/dependencies?service_id={o.services['checkout-api'].id}") == ["consumes", "links"]
    assert kinds("/api/v1/dependencies?kind=links") == ["links"]
    assert kinds(f"/api/v1/dependencies?team_id={o.teams['checkout'].id}") == ["consumes", "links"]
    assert kinds(f"/api/v1/dependencies?target_service_id={o.services['payments-api'].id}") == ["consumes"]
    assert as_("eve").get("/api/v1/dependencies?kind=calls").status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"kind": "consumes"}, 400, "interface_id"),
        ({"kind": "consumes", "interface_id": "payments-http"}, 422, "interface_id"),
        ({"kind": "calls", "interface_id": 1}, 422, "kind"),
        ({"kind": "links", "target_service_id": 999999}, 400, "target_service_id"),
    ],
)
def test_a_bad_edge_is_refused_naming_the_field(small_org, as_, body, status, field):
    response = as_("bob").post(
        "/api/v1/dependencies", {"service_id": small_org.services["checkout-api"].id, **body}, content_type=JSON
    )
    assert (response.status_code, field_of(response)) == (status, field)


def test_an_edge_with_two_targets_is_400(small_org, as_):
    o = small_org
    response = as_("bob").post(
        "/api/v1/dependencies",
        {
            "service_id": o.services["checkout-api"].id,
            "kind": "consumes",
            "interface_id": o.interfaces["payments-http"].id,
            "datastore_id": o.datastores["ledger-db"].id,
        },
        content_type=JSON,
    )
    assert (response.status_code, field_of(response)) == (400, "interface_id")


def test_a_duplicate_edge_is_409_naming_its_target(small_org, as_):
    body = {
        "service_id": small_org.services["checkout-api"].id,
        "kind": "consumes",
        "interface_id": small_org.interfaces["payments-http"].id,
    }
    assert as_("bob").post("/api/v1/dependencies", body, content_type=JSON).status_code == 201
    response = as_("bob").post("/api/v1/dependencies", body, content_type=JSON)
    assert (response.status_code, field_of(response)) == (409, "interface_id")


# ------------------------------------------------------------------------------------------------ graph, counts


def test_team_dependencies_split_into_depends_on_and_depended_on_by(small_org, as_):
    o = small_org
    for body in (
        {"kind": "consumes", "interface_id": o.interfaces["payments-http"].id},
        {"kind": "accesses", "datastore_id": o.datastores["ledger-db"].id},
        {"kind": "links", "target_service_id": o.services["identity-api"].id},
        {"kind": "accesses", "datastore_id": o.datastores["orders-db"].id},
    ):  # inside the team: no edge
        as_("bob").post(
            "/api/v1/dependencies", {"service_id": o.services["checkout-api"].id, **body}, content_type=JSON
        )
    t = o.teams
    checkout = as_("eve").get(f"/api/v1/teams/{t['checkout'].id}/dependencies").json()
    assert checkout == {
        "team_id": t["checkout"].id,
        "depends_on": [
            {"team_id": t["payments"].id, "count": 2, "kinds": ["accesses", "consumes"]},
            {"team_id": t["identity"].id, "count": 1, "kinds": ["links"]},
        ],
        "depended_on_by": [],
    }
    payments = as_("eve").get(f"/api/v1/teams/{t['payments'].id}/dependencies").json()
    assert (payments["depends_on"], payments["depended_on_by"]) == (
        [],
        [{"team_id": t["checkout"].id, "count": 2, "kinds": ["accesses", "consumes"]}],
    )


def test_catalog_counts(small_org, as_):
    assert as_("eve").get("/api/v1/catalog/counts").json() == {
        "services": 3,
        "interfaces": 3,
        "datastores": 2,
        "dependencies": 0,
    }


# ------------------------------------------------------------------------------------------------ OpenAPI


CATALOG_OPERATIONS = {
    ("get", "/api/v1/services"),
    ("post", "/api/v1/services"),
    ("get", "/api/v1/services/{service_id}"),
    ("patch", "/api/v1/services/{service_id}"),
    ("get", "/api/v1/services/{service_id}/detail"),
    ("post", "/api/v1/services/{service_id}/retire"),
    ("post", "/api/v1/services/{service_id}/transfer"),
    ("get", "/api/v1/interfaces"),
    ("post", "/api/v1/interfaces"),
    ("get", "/api/v1/interfaces/{interface_id}"),
    ("patch", "/api/v1/interfaces/{interface_id}"),
    ("delete", "/api/v1/interfaces/{interface_id}"),
    ("get", "/api/v1/datastores"),
    ("post", "/api/v1/datastores"),
    ("get", "/api/v1/datastores/{datastore_id}"),
    ("patch", "/api/v1/datastores/{datastore_id}"),
    ("delete", "/api/v1/datastores/{datastore_id}"),
    ("get", "/api/v1/dependencies"),
    ("post", "/api/v1/dependencies"),
    ("get", "/api/v1/dependencies/{dependency_id}"),
    ("patch", "/api/v1/dependencies/{dependency_id}"),
    ("delete", "/api/v1/dependencies/{dependency_id}"),
    ("get", "/api/v1/teams/{team_id}/dependencies"),
    ("get", "/api/v1/catalog/counts"),
}


@pytest.fixture
def openapi(db) -> dict:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, operation


def test_openapi_lists_every_catalog_operation(openapi):
    missing = CATALOG_OPERATIONS - {(method, path) for method, path, _ in operations(openapi)}
    assert missing == set()


def test_every_operation_declares_its_error_responses(openapi):
    undeclared = [
        f"{method.upper()} {path}"
        for method, path, op in operations(openapi)
        if not any(code.startswith("4") for code in op["responses"])
    ]
    assert undeclared == []
    for method, path, op in operations(openapi):
        for code, response in op["responses"].items():
            if code.startswith("4"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)


def test_every_catalog_operation_declares_401_and_writes_declare_403_404_409(openapi):
    for method, path, op in operations(openapi):
        if (method, path) not in CATALOG_OPERATIONS:
            continue
        codes = set(op["responses"])
        assert "401" in codes, (method, path)
        if method in ("post", "patch", "delete"):
            assert {"400", "403", "404", "409", "422"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)


def test_openapi_documents_allowed_values(openapi):
    schemas = openapi["components"]["schemas"]
    lifecycle = schemas["ServiceIn"]["properties"]["lifecycle"]
    ref = lifecycle.get("$ref") or lifecycle["allOf"][0]["$ref"]
    assert schemas[ref.rsplit("/", 1)[1]]["enum"] == ["experimental", "production", "deprecated", "retired"]

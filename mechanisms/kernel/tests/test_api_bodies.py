"""Request bodies and queries (kernel.api): bounded integers, checked text, strict JSON types, reachable routes.

Each bad value is a 422 naming the field and changes nothing; none is ever a 500 (issue 8, item 7)."""

from __future__ import annotations

import pytest

from mechanisms.kernel.testing import error_of, field_of

pytestmark = pytest.mark.django_db

JSON = "application/json"


def patch(client, url, body):
    return client.patch(url, body, content_type=JSON)


@pytest.mark.parametrize("version", [2**64, -(2**70), 2**63])
def test_a_version_beyond_64_bits_is_422_naming_it_on_every_kind_of_update(small_org, as_, version):
    bob, team, svc = small_org.people["bob"], small_org.teams["checkout"], small_org.services["checkout-api"]
    for url in (f"/api/v1/people/{bob.id}", f"/api/v1/teams/{team.id}", f"/api/v1/services/{svc.id}"):
        response = patch(as_("admin"), url, {"version": version})
        assert (response.status_code, field_of(response)) == (422, "version"), url


def test_an_integer_beyond_64_bits_anywhere_in_a_body_is_422_naming_it(small_org, as_):
    response = as_("admin").post(
        "/api/v1/teams/form",
        {
            "slug": "cart",
            "name": "Cart",
            "org_unit_id": small_org.units["retail"].id,
            "charter": "Carts.",
            "member_ids": [2**70],
        },
        content_type=JSON,
    )
    assert (response.status_code, field_of(response)) == (422, "member_ids")


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul \x00 inside"])
def test_a_lone_surrogate_or_nul_in_any_text_field_is_422_naming_it(small_org, as_, text):
    svc = small_org.services["checkout-api"]
    response = patch(as_("admin"), f"/api/v1/services/{svc.id}", {"version": svc.version, "description": text})
    assert (response.status_code, field_of(response)) == (422, "description")
    response = as_("admin").post(
        "/api/v1/people", {"handle": "ivy", "name": "Ivy", "email": "ivy@acme.test", "title": text}, content_type=JSON
    )
    assert (response.status_code, field_of(response)) == (422, "title")
    assert as_("admin").get(f"/api/v1/services/{svc.id}").json()["version"] == svc.version


def test_a_surrogate_inside_a_nested_import_document_is_422_not_500(small_org, as_):
    response = as_("admin").post(
        "/api/v1/imports/json",
        {"document": {"format": "mechanisms/v1", "people": [{"name": "\ud800"}]}},
        content_type=JSON,
    )
    assert (response.status_code, field_of(response)) == (422, "document")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": "1"}, "version"),  # a string is not a version
        ({"version": True}, "version"),  # nor is a boolean
        ({"version": 1, "active": 0}, "active"),  # 0 is not false
    ],
)
def test_json_types_are_not_coerced(small_org, as_, body, field):
    bob = small_org.people["bob"]
    response = patch(as_("admin"), f"/api/v1/people/{bob.id}", body)
    assert (response.status_code, field_of(response)) == (422, field)


def test_a_date_given_as_a_number_is_refused_not_read_as_1970(small_org, as_):
    response = as_("admin").post("/api/v1/mandate/evaluate", {"today": 0}, content_type=JSON)
    assert (response.status_code, field_of(response)) == (422, "today")
    assert as_("admin").post("/api/v1/mandate/evaluate", {"today": "2026-03-31"}, content_type=JSON).status_code in (
        200,
        201,
    )


def test_an_enum_value_given_as_text_is_still_accepted_and_a_wrong_one_lists_the_choices(small_org, as_):
    svc = small_org.services["checkout-api"]
    ok = patch(as_("admin"), f"/api/v1/services/{svc.id}", {"version": svc.version, "lifecycle": "deprecated"})
    assert (ok.status_code, ok.json()["lifecycle"]) == (200, "deprecated")
    bad = patch(as_("admin"), f"/api/v1/services/{svc.id}", {"version": ok.json()["version"], "lifecycle": "gone"})
    assert (bad.status_code, field_of(bad)) == (422, "lifecycle")
    assert "production" in error_of(bad)["message"]


def test_a_huge_id_in_a_path_is_422_not_a_database_error(small_org, as_):
    for url in (f"/api/v1/people/{2**70}", f"/api/v1/services/{2**70}", f"/api/v1/org-units/{2**64}"):
        response = as_("admin").get(url)
        assert response.status_code == 422, url
        assert "error" in response.json()


def test_nul_in_a_query_reason_is_422(small_org, as_):
    iface = small_org.interfaces["checkout-http"]
    response = as_("admin").delete(f"/api/v1/interfaces/{iface.id}?version={iface.version}&reason=a%00b")
    assert (response.status_code, field_of(response)) == (422, "reason")


def test_post_teams_form_forms_a_team_whatever_the_order_the_routers_are_mounted(small_org, as_):
    response = as_("admin").post(
        "/api/v1/teams/form",
        {
            "slug": "cart",
            "name": "Cart",
            "org_unit_id": small_org.units["retail"].id,
            "charter": "Shoppers lose their carts between visits.",
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    team = response.json()
    assert (team["slug"], team["status"]) == ("cart", "forming")
    assert as_("bob").get(f"/api/v1/teams/{team['id']}").json()["slug"] == "cart"
    # The int converter keeps /teams/{id} for numbers: a word is no team id.
    assert as_("admin").get("/api/v1/teams/form").status_code in (404, 405)

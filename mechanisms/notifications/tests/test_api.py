"""The notifications API: shapes, status codes and permissions."""

from __future__ import annotations

import pytest
from django.db import transaction

from mechanisms.kernel.testing import error_of, field_of
from mechanisms.notifications import services as notifications

pytestmark = pytest.mark.django_db
JSON = "application/json"


def send(o, *handles, by="ann", title="Checkout asks Payments for a refund API"):
    with transaction.atomic():
        notifications.notify(
            actor=o.actor(by),
            recipients=[o.people[h].id for h in handles],
            kind="away_request.filed",
            title=title,
            body="Partial refunds.",
            url="/away/requests/7",
            subject_type="away_team_request",
            subject_id=7,
        )


def test_the_inbox_lists_ones_own_items_with_their_shape(small_org, as_):
    send(small_org, "dan", "eve")
    page = as_("dan").get("/api/v1/inbox").json()
    assert (page["total"], page["limit"], page["offset"], page["next_offset"]) == (1, 50, 0, None)
    [item] = page["items"]
    assert set(item) == {
        "id",
        "kind",
        "title",
        "body",
        "url",
        "subject_type",
        "subject_id",
        "actor_label",
        "created_at",
        "read_at",
        "read",
    }
    assert (item["kind"], item["url"], item["actor_label"], item["read"]) == (
        "away_request.filed",
        "/away/requests/7",
        "ann",
        False,
    )
    assert as_("bob").get("/api/v1/inbox").json()["total"] == 0
    assert as_("admin").get("/api/v1/inbox").json()["total"] == 0


def test_the_inbox_is_paginated_and_filters_unread(small_org, as_):
    for n in range(3):
        send(small_org, "dan", title=f"change {n}")
    dan = as_("dan")
    page = dan.get("/api/v1/inbox?limit=2").json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2 and page["total"] == 3
    assert dan.get("/api/v1/inbox?limit=100000").json()["limit"] == 200
    first = page["items"][0]["id"]
    marked = dan.post("/api/v1/inbox/read", {"ids": [first]}, content_type=JSON)
    assert marked.status_code == 200 and marked.json() == {"marked": 1, "unread": 2}
    unread = dan.get("/api/v1/inbox?unread=true").json()
    assert unread["total"] == 2 and first not in {i["id"] for i in unread["items"]}
    assert dan.get("/api/v1/inbox/unread-count").json() == {"unread": 2}


def test_mark_all_read(small_org, as_):
    send(small_org, "dan")
    send(small_org, "dan")
    response = as_("dan").post("/api/v1/inbox/read", {"all": True}, content_type=JSON)
    assert response.json() == {"marked": 2, "unread": 0}


def test_marking_someone_elses_item_is_a_404_naming_ids(small_org, as_):
    send(small_org, "eve")
    [item] = as_("eve").get("/api/v1/inbox").json()["items"]
    response = as_("dan").post("/api/v1/inbox/read", {"ids": [item["id"]]}, content_type=JSON)
    assert response.status_code == 404 and field_of(response) == "ids"
    assert as_("eve").get("/api/v1/inbox/unread-count").json() == {"unread": 1}


def test_mark_read_needs_ids_or_all_and_refuses_unknown_fields(small_org, as_):
    dan = as_("dan")
    for body, field in (
        ({}, "all"),
        ({"ids": [1], "all": True}, "all"),
        ({"ids": [0]}, "ids.0"),
        ({"ids": ["x"]}, "ids.0"),
        ({"ids": [1], "everything": True}, "everything"),
    ):
        response = dan.post("/api/v1/inbox/read", body, content_type=JSON)
        assert response.status_code == 422, body
        assert field_of(response) == field, (body, response.json())


def test_signing_in_is_required(small_org, api_client):
    anonymous = api_client(None)
    for method, url in (
        ("get", "/api/v1/inbox"),
        ("get", "/api/v1/inbox/unread-count"),
        ("post", "/api/v1/inbox/read"),
        ("get", "/api/v1/notification-preferences"),
        ("put", "/api/v1/notification-preferences"),
        ("get", "/api/v1/notification-deliveries"),
        ("post", "/api/v1/notification-deliveries/deliver"),
        ("post", "/api/v1/deadlines/run"),
    ):
        response = getattr(anonymous, method)(url, {} if method != "get" else None, content_type=JSON)
        assert response.status_code == 401, url
        assert error_of(response)["code"] == "unauthenticated"


def test_get_and_put_ones_own_preferences(small_org, as_):
    dan = as_("dan")
    current = dan.get("/api/v1/notification-preferences").json()
    assert current == {
        "person_id": small_org.people["dan"].id,
        "email": True,
        "chat": False,
        "webhook_url": "",
        "muted_kinds": [],
        "version": 1,
        "updated_at": None,
    }
    body = {"version": 1, "email": False, "muted_kinds": ["away_request.*"]}
    changed = dan.put("/api/v1/notification-preferences", body, content_type=JSON)
    assert changed.status_code == 200, changed.content
    assert (changed.json()["email"], changed.json()["muted_kinds"], changed.json()["version"]) == (
        False,
        ["away_request.*"],
        2,
    )
    assert changed.json()["chat"] is False  # left out, left alone
    stale = dan.put("/api/v1/notification-preferences", body, content_type=JSON)
    assert stale.status_code == 409 and field_of(stale) == "version"


def test_preferences_errors_name_the_field(small_org, as_):
    dan = as_("dan")
    url = "/api/v1/notification-preferences"
    bad_scheme = dan.put(url, {"version": 1, "webhook_url": "ftp://x.example/hook"}, content_type=JSON)
    assert bad_scheme.status_code == 400 and field_of(bad_scheme) == "webhook_url"
    chat = dan.put(url, {"version": 1, "chat": True}, content_type=JSON)
    assert chat.status_code == 400 and field_of(chat) == "webhook_url"
    for body, field in (
        ({"email": False}, "version"),
        ({"version": 1, "webhook_url": "https://x.example/" + "a" * 600}, "webhook_url"),
        ({"version": 1, "muted_kinds": ["a.b"] * 51}, "muted_kinds"),
        ({"version": 1, "color": "blue"}, "color"),
        ({"version": 0}, "version"),
    ):
        response = dan.put(url, body, content_type=JSON)
        assert response.status_code == 422, body
        assert field_of(response) == field, (body, response.json())


def test_another_persons_preferences_are_for_admins(small_org, as_):
    dan_id = small_org.people["dan"].id
    url = f"/api/v1/people/{dan_id}/notification-preferences"
    assert as_("dan").get(url).status_code == 200
    refused = as_("eve").get(url)
    assert refused.status_code == 403 and error_of(refused)["code"] == "permission_denied"
    assert as_("eve").put(url, {"version": 1, "email": False}, content_type=JSON).status_code == 403
    changed = as_("admin").put(url, {"version": 1, "email": False}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["email"] is False
    assert as_("admin").get("/api/v1/people/987654321/notification-preferences").status_code == 404
    assert as_("admin").get("/api/v1/people/0/notification-preferences").status_code == 422
    assert as_("admin").get("/api/v1/notification-preferences").status_code == 400  # admin has no person


def test_the_outbox_is_for_admins(small_org, as_, settings):
    settings.NOTIFICATIONS_DISPATCH = "inline"
    send(small_org, "dan")
    assert as_("dan").get("/api/v1/notification-deliveries").status_code == 403
    assert as_("dan").post("/api/v1/notification-deliveries/deliver").status_code == 403
    page = as_("admin").get("/api/v1/notification-deliveries?status=pending").json()
    [delivery] = page["items"]
    assert set(delivery) == {
        "id",
        "person_id",
        "channel",
        "kind",
        "title",
        "target",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
    }
    assert (delivery["channel"], delivery["target"], delivery["status"]) == ("email", "dan@acme.test", "pending")
    bad = as_("admin").get("/api/v1/notification-deliveries?status=lost")
    assert bad.status_code == 422 and field_of(bad) == "status"
    report = as_("admin").post("/api/v1/notification-deliveries/deliver")
    assert report.status_code == 200 and report.json() == {"attempted": 1, "sent": 1, "retrying": 0, "failed": 0}
    assert as_("admin").get("/api/v1/notification-deliveries?status=sent").json()["total"] == 1


def test_every_operation_declares_its_errors(client):
    schema = client.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        if "inbox" not in path and "notification" not in path:
            continue
        for method, operation in operations.items():
            assert operation["tags"] == ["notifications"], (method, path)
            assert "401" in operation["responses"], (method, path)


def test_only_an_admin_runs_the_deadlines_from_the_api(small_org, as_):
    assert as_("dan").post("/api/v1/deadlines/run").status_code == 403
    response = as_("admin").post("/api/v1/deadlines/run")
    assert response.status_code == 200
    assert response.json() == {"reminded": 0, "escalated": 0}

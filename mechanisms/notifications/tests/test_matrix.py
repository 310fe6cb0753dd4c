"""Who may see notifications, as a table (kernel.testing.check_matrix): an inbox item's body is its owner's alone
(administrators included); preferences are their owner's and administrators'; a refused change changes nothing."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from mechanisms.audit import services as audit_services
from mechanisms.kernel.testing import api_door, check_matrix, listing_door, page_text, signed_in
from mechanisms.notifications import services as notifications

pytestmark = pytest.mark.django_db

ROLES = {"admin": "admin", "owner": "bob", "manager": "ann", "other": "eve"}
BODY = "Your offer letter is ready: salary band 7."


@pytest.fixture
def notice(small_org):
    with transaction.atomic():
        notifications.notify(
            actor=small_org.actor("admin"),
            recipients=[small_org.people["bob"].id],
            kind="test.notice",
            title="A private notice",
            body=BODY,
        )
    return small_org.people["bob"]


def test_an_inbox_body_is_read_by_its_owner_alone(small_org, as_, notice):
    def in_api_inbox(handle, person):
        if handle is None:
            return False
        return any(BODY in (item.get("body") or "") for item in as_(handle).get("/api/v1/inbox").json()["items"])

    def on_inbox_page(handle, person):
        return handle is not None and BODY in page_text(signed_in(handle).get("/inbox"))

    check_matrix(
        """
                   bob
        owner      allowed
        manager    404
        other      404
        admin      404
        anonymous  404
        """,
        doors=[listing_door(in_api_inbox, name="api inbox"), listing_door(on_inbox_page, name="page inbox")],
        records={"bob": notice},
        roles=ROLES,
    )


def test_preferences_are_their_owners_and_admins(small_org, as_, notice):
    def state(person):
        current = notifications.get_preferences(actor=small_org.actor("admin"), person_id=person.id)
        return (
            current.version,
            current.email,
            audit_services.list_changes(actor=small_org.actor("admin"), limit=1).total,
        )

    def body(person):
        current = notifications.get_preferences(actor=small_org.actor("admin"), person_id=person.id)
        return {"version": current.version, "email": not current.email}

    check_matrix(
        """
                   bob
        manager    403
        other      403
        anonymous  401
        owner      allowed
        admin      allowed
        """,
        doors=[
            api_door(lambda p: f"/api/v1/people/{p.id}/notification-preferences", client_for=as_),
            api_door(
                lambda p: f"/api/v1/people/{p.id}/notification-preferences",
                method="put",
                body=body,
                client_for=as_,
                name="api change",
            ),
        ],
        records={"bob": notice},
        roles=ROLES,
        unchanged=state,
    )
    check_matrix(
        """
                   bob
        owner      403
        other      403
        admin      allowed
        """,
        doors=[api_door(lambda p: "/api/v1/notification-deliveries", client_for=as_, name="api outbox")],
        records={"bob": notice},
        roles=ROLES,
    )


def test_preference_history_through_the_history_api_is_404_for_others_and_200_for_their_owner(small_org, as_):
    """End to end (issue 8): the history API asks notifications' policy, so it no longer leaks what the
    preferences API refuses; by correlation id a non-admin sees nothing of someone else's changes either."""
    bob = small_org.people["bob"]
    changed = as_("bob").put(
        "/api/v1/notification-preferences", json.dumps({"version": 1, "email": False}), content_type="application/json"
    )
    assert changed.status_code == 200
    correlation = changed["X-Request-ID"]

    def history(p):
        return f"/api/v1/history?subject_type=notification_preferences&subject_id={p.id}"

    def in_correlation(handle, p):
        if handle is None:
            return False
        response = as_(handle).get(f"/api/v1/history?correlation_id={correlation}")
        return response.status_code == 200 and any(c["subject_id"] == str(p.id) for c in response.json()["items"])

    check_matrix(
        """
                   bob
        manager    404
        other      404
        owner      allowed
        admin      allowed
        anonymous  401
        """,
        doors=[api_door(history, client_for=as_, name="api history")],
        records={"bob": bob},
        roles=ROLES,
    )
    check_matrix(
        """
                   bob
        manager    404
        other      404
        owner      allowed
        admin      allowed
        """,
        doors=[listing_door(in_correlation, name="api history by correlation id")],
        records={"bob": bob},
        roles=ROLES,
    )
    owners = as_("bob").get(history(bob)).json()["items"]
    assert [c["verb"] for c in owners] == ["update"] and owners[0]["after"] is not None

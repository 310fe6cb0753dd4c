"""The inbox pages: a person sees their own notifications, marks them read, and sets their preferences; the nav
shows the unread count at the cost of one COUNT."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mechanisms.kernel.testing import field_error, page_text, signed_in
from mechanisms.notifications import services as notifications

pytestmark = pytest.mark.django_db


def send(o, *handles, title="Checkout asks Payments for a refund API"):
    with transaction.atomic():
        notifications.notify(
            actor=o.actor("ann"),
            recipients=[o.people[h].id for h in handles],
            kind="away_request.filed",
            title=title,
            body="Customers want partial refunds.",
            url="/away/requests/7",
        )


def test_the_inbox_shows_ones_own_notifications_and_the_unread_badge(small_org):
    send(small_org, "dan", title="<b>Refund</b> API")
    send(small_org, "eve", title="For eve only")
    response = signed_in("dan").get("/inbox")
    assert response.status_code == 200
    text = page_text(response)
    assert "<b>Refund</b> API" in text and "&lt;b&gt;" in response.content.decode()  # escaped, never marked safe
    assert "Customers want partial refunds." in text and "ann" in text
    assert "For eve only" not in text
    assert 'href="/away/requests/7"' in response.content.decode()
    assert "Inbox 1 unread" in text  # the badge in the nav
    assert "1 unread." in text


def test_the_badge_costs_one_count_and_nothing_when_there_is_nothing_to_count(small_org):
    send(small_org, "dan")
    dan = signed_in("dan")
    with CaptureQueriesContext(connection) as queries:
        body = page_text(dan.get("/people"))
    assert "Inbox 1 unread" in body
    counts = [q["sql"] for q in queries.captured_queries if "notifications_inboxitem" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0].upper()
    assert "unread" not in page_text(signed_in("admin").get("/people"))


def test_mark_one_read_then_all_read(small_org):
    send(small_org, "dan", title="first")
    send(small_org, "dan", title="second")
    newest, _ = notifications.list_inbox(actor=small_org.actor("dan")).items
    assert newest.title == "second"
    dan = signed_in("dan")
    response = dan.post("/inbox/read", {"ids": [newest.id], "next": "/inbox?unread=1"})
    assert response.status_code == 302 and response["Location"] == "/inbox?unread=1"
    unread_page = page_text(dan.get("/inbox?unread=1"))
    assert "first" in unread_page and "second" not in unread_page
    response = dan.post("/inbox/read", {"all": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/inbox"  # never off the site
    assert notifications.unread_count(actor=small_org.actor("dan")) == 0
    assert "Nothing unread" in page_text(dan.get("/inbox?unread=1"))


def test_marking_someone_elses_item_is_a_404_page(small_org):
    send(small_org, "eve")
    [item] = notifications.list_inbox(actor=small_org.actor("eve")).items
    response = signed_in("dan").post("/inbox/read", {"ids": [item.id]})
    assert response.status_code == 404 and "not in your inbox" in page_text(response)
    assert signed_in("dan").get("/inbox/read").status_code == 405


def test_the_inbox_needs_signing_in_and_csrf(small_org):
    response = Client().get("/inbox")
    assert response.status_code == 302 and "/signin" in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.login(username="dan", password="password123")
    assert strict.post("/inbox/read", {"all": "1"}).status_code == 403


def test_an_account_without_a_person_has_an_empty_inbox(small_org):
    response = signed_in("admin").get("/inbox")
    assert response.status_code == 200
    assert "not linked to a person" in page_text(response)


def test_preferences_form_saves_and_shows_errors_next_to_the_field(small_org):
    dan = signed_in("dan")
    form = dan.get("/inbox/preferences")
    assert form.status_code == 200 and 'name="email"' in form.content.decode() and "checked" in form.content.decode()
    bad = dan.post("/inbox/preferences", {"chat": "on", "webhook_url": "ftp://x.example/hook", "version": 1})
    assert bad.status_code == 400
    assert "http:// or https://" in field_error(bad, "id_webhook_url")
    saved = dan.post(
        "/inbox/preferences", {"muted_kinds": "away_request.*\nemail:mandate.finding", "version": 1}, follow=True
    )
    assert saved.status_code == 200 and "Your notification preferences are saved." in page_text(saved)
    prefs = notifications.get_preferences(actor=small_org.actor("dan"))
    assert (prefs.email, prefs.muted_kinds, prefs.version) == (False, ("away_request.*", "email:mandate.finding"), 2)
    stale = dan.post("/inbox/preferences", {"email": "on", "version": 1})
    assert stale.status_code == 409 and "changed elsewhere" in page_text(stale)

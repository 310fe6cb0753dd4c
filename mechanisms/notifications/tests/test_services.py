"""The notifications services: the inbox lives and dies with the caller's transaction, deliveries go out only after
the commit and by each person's preferences, failures are recorded and retried with a backoff, never raised."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import transaction

from mechanisms.audit import services as audit_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.notifications import services as notifications
from mechanisms.notifications.contracts import MAX_ATTEMPTS, Channel, DeliveryStatus, kind_is_muted
from mechanisms.org import services as org_services

SYSTEM = Actor.system("test")
ADMIN_ONLY = Actor(user_id=None, person_id=None, label="ops", is_admin=True)
pytestmark = pytest.mark.django_db


def send(o, *handles, by="ann", kind="away_request.filed", title="Checkout asks Payments for a refund API", **extra):
    """notify() as a service of another app calls it: inside its own write transaction."""
    actor = SYSTEM if by is None else o.actor(by)
    extra.setdefault("url", "/away/requests/7")
    with transaction.atomic():
        return notifications.notify(
            actor=actor, recipients=[o.people[h].id for h in handles], kind=kind, title=title, **extra
        )


def deliveries(status=None):
    return notifications.list_deliveries(actor=SYSTEM, status=status, limit=200).items


def prefs(o, handle, **changes):
    actor = o.actor(handle)
    current = notifications.get_preferences(actor=actor)
    return notifications.update_preferences(actor=actor, version=current.version, **changes)


# ---------------------------------------------------------------------------------------------- the inbox


def test_notify_writes_the_inbox_in_the_callers_transaction_and_a_rollback_takes_it_away(small_org):
    o = small_org

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        created = notifications.notify(
            actor=o.actor("ann"), recipients=[o.people["dan"].id], kind="away_request.filed", title="Refund API"
        )
        assert created == 1
        assert notifications.unread_count(actor=o.actor("dan")) == 1  # visible inside the transaction
        raise Boom
    assert notifications.unread_count(actor=o.actor("dan")) == 0
    assert deliveries() == []  # the outbox rolled back with it


def test_an_inbox_item_says_what_happened_who_did_it_and_where_to_look(small_org):
    o = small_org
    send(o, "dan", body="Customers want partial refunds.", subject_type="away_team_request", subject_id=7)
    [item] = notifications.list_inbox(actor=o.actor("dan")).items
    assert (item.kind, item.title, item.body, item.url) == (
        "away_request.filed",
        "Checkout asks Payments for a refund API",
        "Customers want partial refunds.",
        "/away/requests/7",
    )
    assert (item.subject_type, item.subject_id, item.actor_label) == ("away_team_request", 7, "ann")
    assert item.person_id == o.people["dan"].id and not item.read and item.read_at is None


def test_nobody_is_notified_of_their_own_action(small_org):
    o = small_org
    assert send(o, "ann", "dan", by="ann") == 1
    assert notifications.unread_count(actor=o.actor("ann")) == 0
    assert notifications.unread_count(actor=o.actor("dan")) == 1
    assert send(o, "ann", by="ann") == 0


def test_inactive_and_unknown_people_are_skipped_and_duplicates_collapse(small_org):
    o = small_org
    eve = o.people["eve"]
    org_services.deactivate_person(actor=SYSTEM, person_id=eve.id, version=eve.version, reason="left")
    with transaction.atomic():
        created = notifications.notify(
            actor=o.actor("ann"),
            recipients=[o.people["dan"].id, o.people["dan"].id, eve.id, 987654321],
            kind="away_request.filed",
            title="Refund API",
        )
    assert created == 1
    assert notifications.list_inbox(actor=o.actor("dan")).total == 1
    assert notifications.list_inbox(actor=o.actor("eve")).total == 0
    assert [d.target for d in deliveries()] == ["dan@acme.test"]


def test_an_inbox_is_its_owners_alone_and_an_account_without_a_person_has_an_empty_one(small_org):
    o = small_org
    send(o, "dan", "eve")
    assert notifications.list_inbox(actor=o.actor("dan")).total == 1
    assert notifications.list_inbox(actor=o.actor("admin")).total == 0
    assert notifications.unread_count(actor=o.actor("admin")) == 0
    assert notifications.list_inbox(actor=Actor.anonymous()).total == 0
    assert notifications.mark_read(actor=o.actor("admin")) == 0


def test_the_inbox_is_newest_first_paginated_and_filters_unread(small_org):
    o = small_org
    for n in range(5):
        send(o, "dan", title=f"change {n}")
    first = notifications.list_inbox(actor=o.actor("dan"), limit=2)
    assert [i.title for i in first.items] == ["change 4", "change 3"]
    assert (first.total, first.next_offset) == (5, 2)
    last = notifications.list_inbox(actor=o.actor("dan"), limit=2, offset=4)
    assert [i.title for i in last.items] == ["change 0"] and last.next_offset is None
    notifications.mark_read(actor=o.actor("dan"), item_ids=[first.items[0].id])
    unread = notifications.list_inbox(actor=o.actor("dan"), unread_only=True)
    assert unread.total == 4 and first.items[0].id not in {i.id for i in unread.items}
    assert notifications.list_inbox(actor=o.actor("dan"), limit=10_000).limit == 200  # the hard maximum


def test_mark_read_marks_only_ones_own_items_and_counts_those_that_were_unread(small_org):
    o = small_org
    send(o, "dan", "eve")
    send(o, "dan", title="second")
    dan_items = notifications.list_inbox(actor=o.actor("dan")).items
    [eve_item] = notifications.list_inbox(actor=o.actor("eve")).items
    with pytest.raises(NotFound) as other:
        notifications.mark_read(actor=o.actor("dan"), item_ids=[dan_items[0].id, eve_item.id])
    assert other.value.field == "ids"
    assert notifications.unread_count(actor=o.actor("dan")) == 2  # all or nothing
    assert notifications.unread_count(actor=o.actor("eve")) == 1
    assert notifications.mark_read(actor=o.actor("dan"), item_ids=[dan_items[0].id]) == 1
    assert notifications.mark_read(actor=o.actor("dan"), item_ids=[dan_items[0].id]) == 0  # already read
    assert notifications.mark_read(actor=o.actor("dan")) == 1  # all the rest
    assert notifications.unread_count(actor=o.actor("dan")) == 0
    assert notifications.unread_count(actor=o.actor("eve")) == 1


def test_mark_read_is_not_audited_but_a_preference_change_is(small_org):
    o = small_org
    send(o, "dan")
    before = audit_services.list_changes(actor=SYSTEM).total
    notifications.mark_read(actor=o.actor("dan"))
    assert audit_services.list_changes(actor=SYSTEM).total == before
    prefs(o, "dan", email=False)
    [change] = audit_services.list_changes(
        actor=SYSTEM, subject_type="notification_preferences", subject_id=o.people["dan"].id
    ).items
    assert (change.verb, change.actor_label, change.subject_label) == ("update", "dan", "dan")
    assert change.before["email"] is True and change.after["email"] is False


def test_notify_refuses_a_malformed_kind_an_empty_title_and_a_url_that_is_not_a_path(small_org):
    o = small_org
    with pytest.raises(RuleViolation) as kind:
        send(o, "dan", kind="Away Request!")
    assert kind.value.field == "kind"
    with pytest.raises(RuleViolation) as title:
        send(o, "dan", title="  ")
    assert title.value.field == "title"
    with pytest.raises(RuleViolation) as url:
        send(o, "dan", url="https://evil.example/phish")
    assert url.value.field == "url"
    long = send(o, "dan", title="x" * 500)
    assert long == 1 and len(notifications.list_inbox(actor=o.actor("dan")).items[0].title) == 200


# ---------------------------------------------------------------------------------------------- email


def test_email_is_sent_only_after_the_commit_with_an_absolute_link(
    small_org, mailoutbox, django_capture_on_commit_callbacks
):
    o = small_org
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(o, "dan", body="Customers want partial refunds.")
        assert mailoutbox == []  # not before the commit
    assert len(callbacks) == 1
    [mail] = mailoutbox
    assert mail.to == ["dan@acme.test"]
    assert mail.from_email == "mechanisms@localhost"
    assert mail.subject == "[Mechanisms] Checkout asks Payments for a refund API"
    assert "Customers want partial refunds." in mail.body
    assert "https://mech.example.test/away/requests/7" in mail.body
    assert "https://mech.example.test/inbox/preferences" in mail.body
    [sent] = deliveries()
    assert (sent.channel, sent.status, sent.attempts, sent.sent_at is not None) == (
        Channel.EMAIL,
        DeliveryStatus.SENT,
        1,
        True,
    )


def test_nothing_is_sent_when_the_caller_rolls_back(small_org, mailoutbox, django_capture_on_commit_callbacks):
    o = small_org
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        notifications.notify(actor=o.actor("ann"), recipients=[o.people["dan"].id], kind="a.b", title="t")
        transaction.set_rollback(True)
    assert callbacks == [] and mailoutbox == []


def test_email_off_keeps_the_inbox_and_sends_no_email(small_org, mailoutbox, django_capture_on_commit_callbacks):
    o = small_org
    prefs(o, "dan", email=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert send(o, "dan", "eve") == 2
    assert [m.to for m in mailoutbox] == [["eve@acme.test"]]
    assert notifications.unread_count(actor=o.actor("dan")) == 1


def test_a_muted_kind_is_not_sent_on_its_channel(small_org, mailoutbox, django_capture_on_commit_callbacks):
    o = small_org
    prefs(o, "dan", muted_kinds=["email:away_request.filed"])
    prefs(o, "eve", muted_kinds=["away_request.*"])
    with django_capture_on_commit_callbacks(execute=True):
        created = send(o, "dan", "eve", "cat")
        send(o, "dan", "eve", kind="away_request.accepted", title="accepted")
    assert created == 2  # eve muted every away_request kind everywhere, her inbox included
    assert notifications.list_inbox(actor=o.actor("dan")).total == 2  # email-only mute keeps the inbox
    assert notifications.list_inbox(actor=o.actor("eve")).total == 0
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("cat@acme.test", "[Mechanisms] Checkout asks Payments for a refund API"),
        ("dan@acme.test", "[Mechanisms] accepted"),
    ]


def test_mute_patterns_name_a_kind_a_prefix_or_everything_on_one_channel_or_all():
    assert kind_is_muted(["away_request.*"], "email", "away_request.filed")
    assert kind_is_muted(["away_request.*"], "inbox", "away_request")
    assert not kind_is_muted(["away_request.*"], "email", "away_requests.filed")
    assert kind_is_muted(["chat:*"], "chat", "anything")
    assert not kind_is_muted(["chat:*"], "email", "anything")
    assert not kind_is_muted(["email:a.b"], "inbox", "a.b")


def test_a_failing_mail_server_does_not_fail_the_change_and_is_recorded(
    small_org, settings, mailoutbox, django_capture_on_commit_callbacks, refused_url
):
    o = small_org
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", urlsplit(refused_url).port, 5
    with django_capture_on_commit_callbacks(execute=True):
        assert send(o, "dan") == 1
    [pending] = deliveries()
    assert (pending.status, pending.attempts) == (DeliveryStatus.PENDING, 1)
    assert "ConnectionRefusedError" in pending.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = notifications.deliver_pending(actor=SYSTEM, now=pending.next_attempt_at)
    assert (report.attempted, report.sent) == (1, 1)
    assert [m.to for m in mailoutbox] == [["dan@acme.test"]]


# ---------------------------------------------------------------------------------------------- chat


def test_a_personal_webhook_gets_slack_json_with_the_title_body_and_link(
    small_org, webhook, django_capture_on_commit_callbacks
):
    o = small_org
    prefs(o, "dan", email=False, chat=True, webhook_url=webhook.url)
    with django_capture_on_commit_callbacks(execute=True):
        send(o, "dan", body="Refunds <partial> & fast")
    [payload] = webhook.received
    assert webhook.paths == ["/services/T000/B000/secret-token"]
    assert webhook.content_types == ["application/json"]
    assert set(payload) == {"text", "blocks"}
    assert payload["text"].startswith("Checkout asks Payments for a refund API")
    assert "https://mech.example.test/away/requests/7" in payload["text"]
    section, context = payload["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == (
        "*<https://mech.example.test/away/requests/7|Checkout asks Payments for a refund API>*\n"
        "Refunds &lt;partial&gt; &amp; fast"
    )
    assert context["type"] == "context" and "away_request.filed" in context["elements"][0]["text"]
    [sent] = deliveries()
    assert (sent.channel, sent.status) == (Channel.CHAT, DeliveryStatus.SENT)
    assert sent.target == f"http://127.0.0.1:{urlsplit(webhook.url).port}/…"  # the secret path is not shown


def test_the_organizations_webhook_gets_one_post_naming_everyone_it_is_for(
    small_org, settings, webhook, django_capture_on_commit_callbacks
):
    o = small_org
    settings.MECH_CHAT_WEBHOOK_URL = webhook.url
    prefs(o, "dan", chat=True)
    prefs(o, "eve", chat=True)
    with django_capture_on_commit_callbacks(execute=True):
        send(o, "dan", "eve", "cat")
    [payload] = webhook.received
    assert "for @dan, @eve" in payload["text"]
    assert "@dan, @eve" in payload["blocks"][1]["elements"][0]["text"]
    org_post = [d for d in deliveries() if d.channel == Channel.CHAT]
    assert len(org_post) == 1 and org_post[0].person_id is None


def test_chat_without_any_webhook_is_refused_and_a_webhook_must_be_http(small_org):
    o = small_org
    with pytest.raises(RuleViolation) as no_hook:
        prefs(o, "dan", chat=True)
    assert no_hook.value.field == "webhook_url"
    for bad in ("ftp://hooks.example/x", "javascript:alert(1)", "https://", "http://host:99999/x", "http://a b/"):
        with pytest.raises(RuleViolation) as scheme:
            prefs(o, "dan", webhook_url=bad)
        assert scheme.value.field == "webhook_url"
    with pytest.raises(RuleViolation) as mute:
        prefs(o, "dan", muted_kinds=["fine.kind", "not a kind"])
    assert mute.value.field == "muted_kinds"
    assert notifications.get_preferences(actor=o.actor("dan")).version == 1  # nothing saved


def test_a_failing_webhook_never_fails_the_change_is_retried_with_backoff_and_fails_after_five_attempts(
    small_org, webhook, django_capture_on_commit_callbacks
):
    o = small_org
    webhook.status = 500
    prefs(o, "dan", email=False, chat=True, webhook_url=webhook.url)
    with django_capture_on_commit_callbacks(execute=True):
        assert send(o, "dan") == 1  # the change commits; the post failed after it
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PENDING, 1, "HTTP 500 Internal Server Error")
    due = row.next_attempt_at
    expected_waits = [120, 240, 480]  # after the 2nd, 3rd and 4th failures; the 1st waited 60 s
    for attempt in range(2, MAX_ATTEMPTS + 1):
        early = notifications.deliver_pending(actor=SYSTEM, now=due - dt.timedelta(seconds=1))
        assert early.attempted == 0  # the backoff is respected
        report = notifications.deliver_pending(actor=SYSTEM, now=due)
        [row] = deliveries()
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (report.retrying, row.status) == (1, DeliveryStatus.PENDING)
            assert row.next_attempt_at - due == dt.timedelta(seconds=expected_waits[attempt - 2])
            due = row.next_attempt_at
        else:
            assert (report.failed, row.status, row.next_attempt_at) == (1, DeliveryStatus.FAILED, None)
    assert len(webhook.received) == MAX_ATTEMPTS
    later = notifications.deliver_pending(actor=SYSTEM, now=due + dt.timedelta(days=30))
    assert later.attempted == 0 and len(webhook.received) == MAX_ATTEMPTS
    assert [d.id for d in deliveries(status="failed")] == [row.id]


def test_a_refused_webhook_is_recorded_and_a_recovered_one_is_sent_once(
    small_org, webhook, refused_url, django_capture_on_commit_callbacks
):
    o = small_org
    prefs(o, "dan", email=False, chat=True, webhook_url=refused_url)
    with django_capture_on_commit_callbacks(execute=True):
        send(o, "dan")
    [row] = deliveries()
    assert row.status == DeliveryStatus.PENDING and row.last_error.startswith("cannot reach the webhook")
    # a delivery keeps the target it was queued with: a fixed URL serves what is notified from now on
    prefs(o, "dan", webhook_url=webhook.url)
    with django_capture_on_commit_callbacks(execute=True):
        send(o, "dan", title="second")
    assert len(webhook.received) == 1
    assert notifications.deliver_pending(actor=SYSTEM, now=row.next_attempt_at).attempted == 1


def test_a_delivery_is_sent_once_only(small_org, webhook, mailoutbox, django_capture_on_commit_callbacks):
    o = small_org
    prefs(o, "dan", chat=True, webhook_url=webhook.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send(o, "dan")
    callbacks[0]()  # the dispatcher runs again (a retried request, a second worker): nothing more is sent
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert notifications.deliver_pending(actor=SYSTEM, now=far).attempted == 0
    assert len(webhook.received) == 1 and len(mailoutbox) == 1
    assert {d.status for d in deliveries()} == {DeliveryStatus.SENT}


def test_with_dispatch_off_deliveries_wait_for_the_outbox_run(
    small_org, settings, mailoutbox, django_capture_on_commit_callbacks
):
    o = small_org
    settings.NOTIFICATIONS_DISPATCH = "off"
    with django_capture_on_commit_callbacks(execute=True):
        send(o, "dan", "eve")
    assert mailoutbox == [] and len(deliveries(status="pending")) == 2
    report = notifications.deliver_pending(actor=SYSTEM)
    assert (report.attempted, report.sent, report.retrying, report.failed) == (2, 2, 0, 0)
    assert len(mailoutbox) == 2
    [run] = audit_services.list_changes(actor=SYSTEM, subject_type="notification_outbox").items
    assert run.verb == "deliver" and run.after["sent"] == 2


# ---------------------------------------------------------------------------------------------- preferences


def test_preferences_default_to_email_on_chat_off_nothing_muted(small_org):
    p = notifications.get_preferences(actor=small_org.actor("dan"))
    assert (p.email, p.chat, p.webhook_url, p.muted_kinds, p.version) == (True, False, "", (), 1)
    assert p.wants(Channel.EMAIL, "away_request.filed")


def test_a_person_changes_only_their_own_preferences_and_an_admin_anyones(small_org):
    o = small_org
    dan = o.people["dan"].id
    with pytest.raises(PermissionDenied) as read:
        notifications.get_preferences(actor=o.actor("eve"), person_id=dan)
    assert read.value.field == "person_id"
    with pytest.raises(PermissionDenied):
        notifications.update_preferences(actor=o.actor("eve"), person_id=dan, version=1, email=False)
    changed = notifications.update_preferences(actor=o.actor("admin"), person_id=dan, version=1, email=False)
    assert (changed.email, changed.version) == (False, 2)
    assert notifications.get_preferences(actor=o.actor("dan")).email is False
    with pytest.raises(NotFound):
        notifications.get_preferences(actor=o.actor("admin"), person_id=987654321)
    with pytest.raises(RuleViolation) as no_person:
        notifications.get_preferences(actor=o.actor("admin"))
    assert no_person.value.field == "person_id"
    with pytest.raises(PermissionDenied):
        notifications.get_preferences(actor=Actor.anonymous())


def test_a_stale_preferences_version_is_a_conflict(small_org):
    o = small_org
    read = notifications.get_preferences(actor=o.actor("dan"))
    notifications.update_preferences(actor=o.actor("dan"), version=read.version, email=False)
    with pytest.raises(Conflict) as stale:
        notifications.update_preferences(actor=o.actor("dan"), version=read.version, muted_kinds=["a.b"])
    assert stale.value.field == "version"
    assert notifications.get_preferences(actor=o.actor("dan")).muted_kinds == ()


def test_mutes_are_cleaned_and_the_change_log_hides_the_webhook_secret(small_org, webhook):
    o = small_org
    saved = prefs(o, "dan", chat=True, webhook_url=webhook.url, muted_kinds=[" Away_Request.* ", "away_request.*", ""])
    assert saved.muted_kinds == ("away_request.*",) and saved.webhook_url == webhook.url
    [change] = audit_services.list_changes(
        actor=SYSTEM, subject_type="notification_preferences", subject_id=o.people["dan"].id
    ).items
    assert "secret-token" not in str(change.after) and change.after["webhook_url"].startswith("http://127.0.0.1:")


# ---------------------------------------------------------------------------------------------- the outbox


def test_the_outbox_is_for_admins(small_org, webhook):
    o = small_org
    send(o, "dan")
    with pytest.raises(PermissionDenied):
        notifications.list_deliveries(actor=o.actor("dan"))
    with pytest.raises(PermissionDenied):
        notifications.deliver_pending(actor=o.actor("dan"))
    assert notifications.list_deliveries(actor=ADMIN_ONLY).total == 1
    with pytest.raises(RuleViolation) as status:
        notifications.list_deliveries(actor=ADMIN_ONLY, status="lost")
    assert status.value.field == "status"


@pytest.mark.django_db(transaction=True)
def test_by_default_deliveries_go_out_from_a_thread_after_the_commit(small_org, settings, mailoutbox):
    import threading

    o = small_org
    settings.NOTIFICATIONS_DISPATCH = "thread"
    before = set(threading.enumerate())
    send(o, "dan")  # commits: there is no test transaction around it here
    for thread in set(threading.enumerate()) - before:
        if thread.name == "notify":
            thread.join(timeout=30)
    assert [m.to for m in mailoutbox] == [["dan@acme.test"]]
    assert {d.status for d in deliveries()} == {DeliveryStatus.SENT}


@pytest.mark.parametrize("url", ["http://10.0.0.7/hook", "http://localhost:8080/x", "https://evil.example/hook"])
def test_a_personal_webhook_only_goes_to_an_allowed_chat_host(small_org, url):
    with pytest.raises(RuleViolation) as refused:
        prefs(small_org, "bob", chat=True, webhook_url=url)
    assert refused.value.field == "webhook_url"
    assert notifications.get_preferences(actor=small_org.actor("bob")).webhook_url == ""

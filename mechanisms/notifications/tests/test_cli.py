"""`mech inbox ...` in-process on the test database (the sub-app itself: importing config from here would break
the layers; tests/test_cli.py covers the mounted root command)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from typer.testing import CliRunner

from mechanisms.notifications import services as notifications
from mechanisms.notifications.cli import inbox

runner = CliRunner()
pytestmark = pytest.mark.django_db


def send(o, *handles, title="Checkout asks Payments for a refund API"):
    with transaction.atomic():
        notifications.notify(
            actor=o.actor("ann"),
            recipients=[o.people[h].id for h in handles],
            kind="away_request.filed",
            title=title,
            url="/away/requests/7",
        )


def invoke(*args):
    return runner.invoke(inbox, list(args))  # mounted as `mech inbox` (config imports it; tests may not)


def test_list_and_read_as_a_person(small_org):
    send(small_org, "dan")
    send(small_org, "dan", title="second")
    listed = invoke("list", "--as", "dan", "--format", "json")
    assert listed.exit_code == 0, listed.output
    page = json.loads(listed.output)
    assert page["total"] == 2 and page["items"][0]["title"] == "second"
    text = invoke("list", "--as", "dan")
    assert text.exit_code == 0 and "second" in text.output
    first = str(page["items"][1]["id"])
    read = invoke("read", first, "--as", "dan", "--format", "json")
    assert read.exit_code == 0 and json.loads(read.output) == {"marked": 1, "unread": 1}
    unread = json.loads(invoke("list", "--unread", "--as", "dan", "--format", "json").output)
    assert [i["title"] for i in unread["items"]] == ["second"]
    assert "marked 1 read; 0 unread" in invoke("read", "--all", "--as", "dan").output


def test_read_needs_ids_or_all_and_someone_elses_id_fails(small_org):
    send(small_org, "eve")
    [item] = notifications.list_inbox(actor=small_org.actor("eve")).items
    assert invoke("read", "--as", "dan").exit_code == 2
    refused = invoke("read", str(item.id), "--as", "dan")
    assert refused.exit_code == 1 and "not in your inbox (ids)" in refused.output
    unknown = invoke("list", "--as", "nobody")
    assert unknown.exit_code == 1 and "no person with handle" in unknown.output


def test_prefs_show_and_change(small_org):
    shown = invoke("prefs", "--as", "dan")
    assert shown.exit_code == 0 and "email: on" in shown.output and "muted: nothing" in shown.output
    changed = invoke(
        "prefs", "--as", "dan", "--no-email", "--mute", "away_request.filed", "--mute", "chat:*", "--format", "json"
    )
    assert changed.exit_code == 0, changed.output
    saved = json.loads(changed.output)
    assert (saved["email"], saved["muted_kinds"], saved["version"]) == (False, ["away_request.filed", "chat:*"], 2)
    unmuted = json.loads(invoke("prefs", "--as", "dan", "--unmute", "chat:*", "--format", "json").output)
    assert unmuted["muted_kinds"] == ["away_request.filed"] and unmuted["email"] is False
    bad = invoke("prefs", "--as", "dan", "--webhook", "ftp://hooks.example/x")
    assert bad.exit_code == 1 and "(webhook_url)" in bad.output


def test_deliver_sends_the_outbox_and_outbox_lists_it(small_org, mailoutbox):
    send(small_org, "dan", "eve")  # the test's transaction never commits: only the outbox run sends them
    assert mailoutbox == []
    delivered = invoke("deliver", "--format", "json")
    assert delivered.exit_code == 0, delivered.output
    assert json.loads(delivered.output) == {"attempted": 2, "sent": 2, "retrying": 0, "failed": 0}
    assert sorted(m.to[0] for m in mailoutbox) == ["dan@acme.test", "eve@acme.test"]
    again = invoke("deliver")
    assert again.exit_code == 0 and "attempted 0" in again.output
    outbox = json.loads(invoke("outbox", "--status", "sent", "--format", "json").output)
    assert outbox["total"] == 2 and {d["status"] for d in outbox["items"]} == {"sent"}
    assert invoke("outbox").exit_code == 0
    assert invoke("outbox", "--status", "lost").exit_code == 1

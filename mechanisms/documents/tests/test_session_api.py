"""The reading sessions' API and the reading room page: shapes and status codes, the hidden-comments rule through
both doors (a reader sees no other reader's comment before being done; the presenter none before everyone is),
bad input a 4xx naming the field that changes nothing, and an outsider a 404 everywhere."""

from __future__ import annotations

import json

import pytest

from mechanisms.documents import services
from mechanisms.documents.contracts import Anchor
from mechanisms.kernel.testing import PASSWORD, field_of

from .test_sessions import _doc, _ids, org  # noqa: F401  (the test owner: ann presents, bob/cat/dan read)

API = "/api/v1"


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def _session(org, as_, readers=("bob", "cat"), minutes=20):  # noqa: F811
    doc = _doc(org, body="Refunds take nine days.\n\nCustomers call us twice.")
    body = {"reader_ids": _ids(org, *readers), "minutes": minutes}
    made = _post(as_("ann"), f"{API}/documents/{doc.id}/sessions", body)
    assert made.status_code == 201, made.content
    return doc, made.json()


def _comment(org, as_, handle, doc, session, quote, body):  # noqa: F811
    return _post(
        as_(handle),
        f"{API}/documents/{doc.id}/comments",
        {"body": body, "anchor": {"part": "body", "quote": quote}, "session_id": session["id"]},
    )


def _bodies(client, session):
    got = client.get(f"{API}/reading-sessions/{session['id']}/comments")
    assert got.status_code == 200, got.content
    return [c["body"] for p in got.json() for c in p["comments"]]


def test_a_session_through_the_api_has_its_frozen_revision_time_box_and_readers(org, as_):  # noqa: F811
    doc, session = _session(org, as_)
    assert session["revision"] == 1 and session["minutes"] == 20 and session["state"] == "reading"
    assert [r["done"] for r in session["readers"]] == [False, False] and not session["all_done"]
    listed = as_("bob").get(f"{API}/documents/{doc.id}/sessions?open_only=true").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == session["id"]
    done = _post(as_("bob"), f"{API}/reading-sessions/{session['id']}/done")
    assert done.status_code == 200 and [r["done"] for r in done.json()["readers"]] == [True, False]
    again = _post(as_("bob"), f"{API}/reading-sessions/{session['id']}/done")
    assert again.status_code == 400 and field_of(again) == "session_id"
    assert _post(as_("ann"), f"{API}/reading-sessions/{session['id']}/done").status_code == 403
    stale = _post(as_("ann"), f"{API}/reading-sessions/{session['id']}/close", {"version": 99})
    assert stale.status_code == 409 and field_of(stale) == "version"
    assert _post(as_("bob"), f"{API}/reading-sessions/{session['id']}/close", {"version": 1}).status_code == 403
    closed = _post(as_("ann"), f"{API}/reading-sessions/{session['id']}/close", {"version": session["version"]})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_comments_stay_hidden_through_the_api_until_the_viewer_is_done_and_from_the_presenter_until_all_are(
    org,  # noqa: F811
    as_,
):
    doc, session = _session(org, as_)
    assert _comment(org, as_, "bob", doc, session, "nine days", "Bob: is nine days the median?").status_code == 201
    assert _comment(org, as_, "cat", doc, session, "call us twice", "Cat: why twice?").status_code == 201
    assert _bodies(as_("bob"), session) == ["Bob: is nine days the median?"]
    assert _bodies(as_("cat"), session) == ["Cat: why twice?"]
    assert _bodies(as_("ann"), session) == []
    # The documents' own comment list is the same door: it hides them too.
    assert [c["body"] for c in as_("ann").get(f"{API}/documents/{doc.id}/comments").json()["items"]] == []
    assert as_("bob").get(f"{API}/documents/{doc.id}/comments").json()["total"] == 1
    _post(as_("bob"), f"{API}/reading-sessions/{session['id']}/done")
    assert sorted(_bodies(as_("bob"), session)) == ["Bob: is nine days the median?", "Cat: why twice?"]
    assert _bodies(as_("cat"), session) == ["Cat: why twice?"]
    assert _bodies(as_("ann"), session) == []
    _post(as_("cat"), f"{API}/reading-sessions/{session['id']}/done")
    grouped = as_("ann").get(f"{API}/reading-sessions/{session['id']}/comments").json()
    assert [(p["part"], p["quote"]) for p in grouped] == [("body", "nine days"), ("body", "call us twice")]


def test_revealed_comments_are_grouped_by_passage_in_document_order(org):  # noqa: F811
    doc = _doc(org, body="Alpha beta.\n\nGamma delta.")
    session = services.start_session(actor=org.actor("ann"), document_id=doc.id, reader_ids=_ids(org, "bob", "cat"))
    for handle, quote, body in [
        ("bob", "Gamma delta", "later passage first"),
        ("cat", "Alpha", "first passage"),
        ("cat", "Gamma delta", "same passage again"),
    ]:
        services.add_comment(
            actor=org.actor(handle),
            document_id=doc.id,
            body=body,
            anchor=Anchor(part="body", quote=quote),
            session_id=session.id,
        )
    services.add_comment(actor=org.actor("bob"), document_id=doc.id, body="on the whole", session_id=session.id)
    services.close_session(actor=org.actor("ann"), session_id=session.id, version=session.version)
    groups = services.session_comments(actor=org.actor("ann"), session_id=session.id)
    assert [(g.quote, [c.body for c in g.comments]) for g in groups] == [
        ("", ["on the whole"]),
        ("Alpha", ["first passage"]),
        ("Gamma delta", ["later passage first", "same passage again"]),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"reader_ids": []}, 400, "reader_ids"),
        ({"reader_ids": [424242]}, 400, "reader_ids"),
        ({"reader_ids": "bob"}, 422, "reader_ids"),
        ({"reader_ids": None, "minutes": 0}, 400, "minutes"),
        ({"reader_ids": None, "minutes": 500}, 400, "minutes"),
        ({"reader_ids": None, "revision": 5}, 400, "revision"),
        ({"reader_ids": None, "extra": 1}, 422, "extra"),
    ],
)
def test_bad_input_to_start_is_a_4xx_naming_the_field_and_starts_nothing(org, as_, body, status, field):  # noqa: F811
    doc = _doc(org)
    if body.get("reader_ids", ()) is None:
        body = {**body, "reader_ids": _ids(org, "bob")}
    got = _post(as_("ann"), f"{API}/documents/{doc.id}/sessions", body)
    assert got.status_code == status, got.content
    assert field in json.dumps(got.json()["error"])
    assert services.list_sessions(actor=org.actor("ann"), document_id=doc.id).total == 0


def test_an_outsider_gets_404_from_every_session_operation(org, as_):  # noqa: F811
    doc, session = _session(org, as_)
    eve = as_("eve")
    sid = session["id"]
    assert eve.get(f"{API}/documents/{doc.id}/sessions").status_code == 404
    assert _post(eve, f"{API}/documents/{doc.id}/sessions", {"reader_ids": _ids(org, "bob")}).status_code == 404
    assert eve.get(f"{API}/reading-sessions/{sid}").status_code == 404
    assert eve.get(f"{API}/reading-sessions/{sid}/comments").status_code == 404
    assert _post(eve, f"{API}/reading-sessions/{sid}/done").status_code == 404
    assert _post(eve, f"{API}/reading-sessions/{sid}/close", {"version": 1}).status_code == 404
    assert as_("ann").get(f"{API}/reading-sessions/999999").status_code == 404


def _signed_in(client, org, handle):  # noqa: F811
    assert client.login(username=handle, password=PASSWORD)
    return client


def test_the_reading_room_page_hides_what_the_service_hides_and_works_without_javascript(org, as_, client):  # noqa: F811
    doc, session = _session(org, as_)
    room = f"/documents/{doc.id}/sessions/{session['id']}"
    bob = _signed_in(client, org, "bob")
    page = bob.get(room)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Refunds take nine days." in html and "ends at" in html and 'id="done-reading"' in html
    assert "<script>" not in html  # the CSP forbids inline script: the selection helper is a static file
    posted = bob.post(f"{room}/comments", {"part": "body", "quote": "nine days", "body": "Bob was here"})
    assert posted.status_code == 302
    wrong = bob.post(f"{room}/comments", {"part": "body", "quote": "not in the text", "body": "x"})
    assert wrong.status_code == 400 and "not in this revision" in wrong.content.decode()
    bob.logout()
    cat = _signed_in(client, org, "cat")
    assert "Bob was here" not in cat.get(room).content.decode()
    cat.logout()
    ann = _signed_in(client, org, "ann")
    html = ann.get(room).content.decode()
    assert "Bob was here" not in html and 'id="comments-hidden"' in html and 'id="close-session"' in html
    assert "0 of 2 readers done" in ann.get(f"{room}/status").content.decode()
    ann.logout()
    bob = _signed_in(client, org, "bob")
    assert bob.post(f"{room}/done").status_code == 302
    assert bob.post(f"{room}/done").status_code == 400  # once
    bob.logout()
    eve = _signed_in(client, org, "eve")
    assert eve.get(room).status_code == 404
    assert eve.post(f"{room}/done").status_code == 404

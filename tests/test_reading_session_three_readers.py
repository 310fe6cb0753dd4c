"""A silent reading with three readers, run as new users would (issue 11, "How it will be checked"): three people
who just got their accounts sign in through the sign-in page, follow the notice in their inbox to the reading room,
comment on passages of the narrative, and mark "done reading". Nobody sees another reader's comment before being
done, the presenter sees none before all three are, through the pages (the reading room and the narrative's own
page), the API and the counts; then every comment is revealed, grouped by passage in document order."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import PASSWORD
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

BODY = (
    "Customers wait nine days for a refund today.\n\n"
    "We propose to refund on the day the parcel is scanned at the depot.\n\n"
    "The risk is fraud on parcels that never arrive."
)
COMMENTS = {
    "rae": ("nine days", "Rae: is nine days the median or the mean?"),
    "sam": ("scanned at the depot", "Sam: which depots scan today?"),
    "tia": ("fraud", "Tia: how large is fraud on refunds now?"),
}


@pytest.fixture
def newcomers(small_org):
    """Three people who just joined, each with a new account (made through org's services, as an admin would)."""
    system = Actor.system("onboarding")
    people = {}
    for handle, name in (("rae", "Rae Quinn"), ("sam", "Sam Ortega"), ("tia", "Tia Brandt")):
        person = org_services.create_person(
            actor=system, handle=handle, name=name, email=f"{handle}@acme.test", manager_id=small_org.people["ann"].id
        )
        org_services.create_account(actor=system, username=handle, password=PASSWORD, person_id=person.id)
        people[handle] = person
    return people


def _sign_in(handle: str) -> Client:
    """Sign in through the sign-in page, as a person does in the browser."""
    client = Client()
    answer = client.post("/signin", {"username": handle, "password": PASSWORD, "next": "/"})
    assert answer.status_code == 302, answer.content
    return client


def _api(handle: str) -> Client:
    token = org_services.issue_api_token(actor=org_services.actor_for_handle(handle=handle), name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}")


def _seen(client: Client, session_id: int) -> list[str]:
    got = client.get(f"/api/v1/reading-sessions/{session_id}/comments")
    assert got.status_code == 200, got.content
    return sorted(c["body"] for group in got.json() for c in group["comments"])


def test_three_new_readers_see_no_one_elses_comments_before_they_are_done(small_org, newcomers):
    # The author writes the narrative and starts the reading through the pages.
    ann = _sign_in("ann")
    made = ann.post(
        "/narratives/new",
        {"title": "Refunds on scan", "team": str(small_org.teams["checkout"].id), "body": BODY, "readers": ""},
    )
    assert made.status_code == 302
    narrative_url = made["Location"]
    started = ann.post(f"{narrative_url}/sessions", {"readers": "rae sam tia", "minutes": "20"})
    assert started.status_code == 302
    room = started["Location"]
    session_id = int(room.rstrip("/").split("/")[-1])

    # Each reader signs in, finds the notice in the inbox and follows it to the reading room.
    readers = {handle: _sign_in(handle) for handle in COMMENTS}
    for handle, client in readers.items():
        items = notifications_services.list_inbox(actor=org_services.actor_for_handle(handle=handle)).items
        assert [i.url for i in items if i.kind == "reading_session.started"] == [room]
        page = client.get(room)
        assert page.status_code == 200 and "nine days" in page.content.decode()
        quote, body = COMMENTS[handle]
        posted = client.post(f"{room}/comments", {"part": "body", "quote": quote, "body": body})
        assert posted.status_code == 302, posted.content

    def shown(client: Client, url: str = room) -> set[str]:
        html = client.get(url).content.decode()
        return {body for _, body in COMMENTS.values() if body in html}

    api = {handle: _api(handle) for handle in [*COMMENTS, "ann"]}
    # Before anyone is done: each sees only their own, the presenter none, through every door.
    for handle, client in readers.items():
        own = {COMMENTS[handle][1]}
        assert shown(client) == own
        assert shown(client, narrative_url) == own
        assert _seen(api[handle], session_id) == sorted(own)
        listed = api[handle].get(f"/api/v1/documents/{_document_id(api['ann'], narrative_url)}/comments").json()
        assert listed["total"] == 1
    assert shown(ann) == set() and shown(ann, narrative_url) == set()
    assert _seen(api["ann"], session_id) == []
    assert 'id="comments-hidden"' in ann.get(room).content.decode()

    # Rae is done: she sees all three; Sam and Tia still only their own; the presenter still none.
    assert readers["rae"].post(f"{room}/done").status_code == 302
    everything = {body for _, body in COMMENTS.values()}
    assert shown(readers["rae"]) == everything
    assert shown(readers["sam"]) == {COMMENTS["sam"][1]} and shown(readers["tia"]) == {COMMENTS["tia"][1]}
    assert shown(ann) == set() and _seen(api["ann"], session_id) == []
    assert "1 of 3 readers done" in ann.get(f"{room}/status").content.decode()

    # Sam is done; Tia is not: the presenter still sees nothing.
    assert readers["sam"].post(f"{room}/done").status_code == 302
    assert shown(readers["sam"]) == everything and shown(readers["tia"]) == {COMMENTS["tia"][1]}
    assert shown(ann) == set()

    # Tia is done: everything is revealed to everyone, grouped by passage in the order of the text.
    assert readers["tia"].post(f"{room}/done").status_code == 302
    assert shown(ann) == everything and shown(readers["tia"]) == everything
    grouped = api["ann"].get(f"/api/v1/reading-sessions/{session_id}/comments").json()
    assert [g["quote"] for g in grouped] == ["nine days", "scanned at the depot", "fraud"]
    html = ann.get(room).content.decode()
    positions = [html.index(COMMENTS[h][1]) for h in ("rae", "sam", "tia")]
    assert positions == sorted(positions)
    assert notifications_services.list_inbox(actor=org_services.actor_for_handle(handle="ann")).items[0].kind == (
        "reading_session.all_done"
    )


def _document_id(client: Client, narrative_url: str) -> int:
    narrative_id = narrative_url.rstrip("/").split("/")[-1]
    return json.loads(client.get(f"/api/v1/narratives/{narrative_id}").content)["narrative"]["document_id"]

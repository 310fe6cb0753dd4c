"""Silent reading through every door (issue 11 items 4 and 7; MECHANISMS.md §6): during a reading session a
reader never sees another reader's comment before they are done themselves, and the presenter (or anyone else
who may read the document) sees none before every reader is done.

The session of seal_world.py: ann presents a narrative to bob, cat and eve; bob and cat have commented, bob is
done, cat and eve are not. So bob sees both comments, cat only her own, eve none, ann (presenter) none, dan and
gus (who may read the narrative but are not in the session) none, nor an admin. Each door's answer is searched
for the comments' markers: the comment lists and counts of the API, the session's comments, the narrative and
document API, the pages (the narrative, the document, the reading room and its status), the history, the inbox
and the PDF (`mech documents comments`, config's entry point, is tried in tests/test_prfaq_seal_doors.py). Then
everyone finishes and everyone sees both."""

from __future__ import annotations

import json
import re

import pytest

from mechanisms.kernel.testing import pdf_text, signed_in

from .seal_world import build_world

pytestmark = pytest.mark.django_db

PEOPLE = ("bob", "cat", "eve", "ann", "dan", "gus", "admin")
SEES = {"bob": {"bob", "cat"}, "cat": {"cat"}, "eve": set(), "ann": set(), "dan": set(), "gus": set(), "admin": set()}


@pytest.fixture
def seal(small_org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(small_org, stages=(), reading=True)


def _doors(world, as_) -> dict:
    """door name -> read(handle) giving the text that door shows that person."""
    r = world.reading
    doc, session, narrative = r.document_id, r.session_id, r.narrative.id

    def api(path):
        return lambda handle: as_(handle).get(path).content.decode()

    def page(path):
        clients = {}

        def read(handle):
            if handle not in clients:
                clients[handle] = signed_in(handle)
            return clients[handle].get(path).content.decode()

        return read

    def pdf(handle):
        response = as_(handle).get(f"/api/v1/documents/{doc}/pdf")
        return pdf_text(response.content) if response.status_code == 200 else response.content.decode()

    return {
        "api comments": api(f"/api/v1/documents/{doc}/comments?limit=200"),
        "api session comments": api(f"/api/v1/reading-sessions/{session}/comments"),
        "api session": api(f"/api/v1/reading-sessions/{session}"),
        "api document": api(f"/api/v1/documents/{doc}"),
        "api narrative": api(f"/api/v1/narratives/{narrative}"),
        "api history": api(f"/api/v1/history?subject_type=document&subject_id={doc}"),
        "api narrative history": api(f"/api/v1/history?subject_type=narrative&subject_id={narrative}"),
        "api inbox": api("/api/v1/inbox?limit=200"),
        "page narrative": page(f"/narratives/{narrative}"),
        "page document": page(f"/documents/{doc}"),
        "page reading room": page(f"/documents/{doc}/sessions/{session}"),
        "page reading room status": page(f"/documents/{doc}/sessions/{session}/status"),
        "page inbox": page("/inbox"),
        "pdf": pdf,
    }


def _count_of(world, as_, handle: str) -> int:
    body = as_(handle).get(f"/api/v1/documents/{world.reading.document_id}/comments?limit=200").json()
    assert body["total"] == len(body["items"])
    return body["total"]


def _seen(world, as_, sees: dict[str, set[str]]) -> list[str]:
    wrong = []
    tokens = world.reading.tokens
    for door, read in _doors(world, as_).items():
        for handle in PEOPLE:
            text = read(handle)
            for author, token in tokens.items():
                shown = re.search(token, text) is not None
                if shown and author not in sees[handle]:
                    wrong.append(f"{handle} sees {author}'s comment through {door}")
    for handle in PEOPLE:
        if _count_of(world, as_, handle) != len(sees[handle]):
            wrong.append(f"{handle} counts {_count_of(world, as_, handle)} comments, not {len(sees[handle])}")
    return wrong


def test_nobody_sees_another_readers_comment_early_through_any_door(seal, as_):
    assert _seen(seal, as_, SEES) == []
    # The doors can show comments: the list does show each viewer what they may see.
    body = json.dumps(as_("bob").get(f"/api/v1/documents/{seal.reading.document_id}/comments").json())
    assert all(token in body for token in seal.reading.tokens.values())


def test_once_every_reader_is_done_everyone_sees_every_comment(seal, as_):
    from mechanisms.documents import services as documents

    for handle in ("cat", "eve"):
        documents.mark_done_reading(actor=seal.actor(handle), session_id=seal.reading.session_id)
    everyone = {handle: {"bob", "cat"} for handle in PEOPLE}
    everyone["admin"] = {"bob", "cat"} if _count_of(seal, as_, "admin") else set()
    assert _seen(seal, as_, everyone) == []
    for handle in PEOPLE:
        if handle == "admin":
            continue  # an account without a person reads what it reads; the others must see both
        body = as_(handle).get(f"/api/v1/documents/{seal.reading.document_id}/comments?limit=200").json()
        text = json.dumps(body)
        assert all(token in text for token in seal.reading.tokens.values()), handle

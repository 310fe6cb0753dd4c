"""The hidden-comments rule of silent reading through every door of the documents app: a reader's comments in a
session are hidden from the other readers until each is done reading, and from the presenter until all are, in
the list, the counts, the page partials, the API and the pages; their notice waits for the session's end."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.documents import services
from mechanisms.documents.contracts import Anchor
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.testing import signed_in
from mechanisms.notifications import services as notifications_services

BODY = "Our customers wait three days for a refund."


@pytest.fixture
def reading(docs, make_doc):
    """ann presents revision 1 to bob and eve (cat may read the document but is not a reader)."""
    doc = make_doc(body=BODY)
    session = services.start_session(
        actor=docs.actor("ann"), document_id=doc.id, reader_ids=[docs.people["bob"].id, docs.people["eve"].id]
    )
    return doc, session


def _seen(docs, handle, doc_id):
    actor = docs.actor(handle)
    listed = {c.body for c in services.list_comments(actor=actor, document_id=doc_id).items}
    viewed = {e.comment.body for e in services.document_view(actor=actor, document_id=doc_id).comments.items}
    assert listed == viewed and services.count_comments(actor=actor, document_id=doc_id) == len(listed)
    return listed


def test_a_readers_comment_is_hidden_from_the_others_until_they_are_done_and_from_the_presenter_until_all_are(
    docs, reading, as_
):
    doc, session = reading
    services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="bob thinks", anchor=Anchor("body", "three"))
    services.add_comment(actor=docs.actor("eve"), document_id=doc.id, body="eve thinks")
    assert _seen(docs, "bob", doc.id) == {"bob thinks"}
    assert _seen(docs, "eve", doc.id) == {"eve thinks"}
    assert _seen(docs, "ann", doc.id) == set() and _seen(docs, "cat", doc.id) == set()
    for handle in ("ann", "cat", "eve"):
        api = as_(handle).get(f"/api/v1/documents/{doc.id}/comments").json()
        assert "bob thinks" not in str(api) and (api["total"] == 1) == (handle == "eve")
        assert "bob thinks" not in signed_in(handle).get(f"/documents/{doc.id}").content.decode()
    services.mark_done_reading(actor=docs.actor("eve"), session_id=session.id)
    assert _seen(docs, "eve", doc.id) == {"bob thinks", "eve thinks"}
    assert _seen(docs, "bob", doc.id) == {"bob thinks"}  # bob is still reading
    assert _seen(docs, "ann", doc.id) == set()
    services.mark_done_reading(actor=docs.actor("bob"), session_id=session.id)
    assert _seen(docs, "ann", doc.id) == {"bob thinks", "eve thinks"} == _seen(docs, "cat", doc.id)


def test_a_hidden_comment_cannot_be_resolved_or_named_by_those_it_is_hidden_from(docs, reading):
    doc, _ = reading
    comment = services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="bob thinks")
    with pytest.raises(NotFound):
        services.resolve_comment(actor=docs.actor("ann"), comment_id=comment.id, version=comment.version)


def test_a_reader_commenting_without_naming_the_session_still_comments_in_it_on_its_frozen_revision(docs, reading):
    doc, session = reading
    services.revise_document(actor=docs.actor("ann"), document_id=doc.id, parts={"body": "new"}, version=doc.version)
    made = services.add_comment(
        actor=docs.actor("bob"), document_id=doc.id, body="hidden", anchor=Anchor("body", "three")
    )
    assert made.session_id == session.id and made.revision == 1
    assert _seen(docs, "eve", doc.id) == set()
    with pytest.raises(RuleViolation) as err:
        services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="x", revision=2, session_id=session.id)
    assert err.value.field == "revision"


def test_only_a_reader_comments_in_a_session_and_only_while_it_is_reading(docs, reading):
    doc, session = reading
    with pytest.raises(PermissionDenied):
        services.add_comment(actor=docs.actor("ann"), document_id=doc.id, body="x", session_id=session.id)
    current = services.get_session(actor=docs.actor("ann"), session_id=session.id)
    services.close_session(actor=docs.actor("ann"), session_id=session.id, version=current.version)
    with pytest.raises(RuleViolation) as err:
        services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="late", session_id=session.id)
    assert err.value.field == "session_id"
    assert services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="after").session_id is None


def test_the_creator_hears_of_session_comments_only_when_the_session_closes(docs, reading):
    doc, session = reading
    ann = docs.actor("ann")
    services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="a hidden idea")
    services.add_comment(actor=docs.actor("eve"), document_id=doc.id, body="another")

    def notices():
        return [i for i in notifications_services.list_inbox(actor=ann).items if i.kind == "document.comment"]

    assert notices() == []
    closed = services.close_expired_sessions(
        actor=Actor.system("worker"), now=session.ends_at + dt.timedelta(minutes=1)
    )
    assert closed == 1
    [notice] = notices()
    assert "2 comments from silent reading" in notice.title and "hidden idea" not in notice.title + notice.body


def test_no_history_tells_the_presenter_or_another_reader_who_has_commented_before_they_may_see_it(docs, reading):
    from mechanisms.audit import services as audit_services

    doc, session = reading
    comment = services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="bob thinks")

    def verbs(handle):
        page = audit_services.list_changes(actor=docs.actor(handle), subject_type="document", subject_id=doc.id)
        return [c.verb for c in page.items]

    assert "comment" not in verbs("ann") and "comment" not in verbs("eve")
    for handle in ("ann", "eve"):
        with pytest.raises(NotFound):
            audit_services.list_changes(
                actor=docs.actor(handle), subject_type="document_session_comment", subject_id=comment.id
            )
    mine = audit_services.list_changes(
        actor=docs.actor("bob"), subject_type="document_session_comment", subject_id=comment.id
    )
    assert [c.verb for c in mine.items] == ["comment"]
    for handle in ("eve", "bob"):
        services.mark_done_reading(actor=docs.actor(handle), session_id=session.id)
    shown = audit_services.list_changes(
        actor=docs.actor("ann"), subject_type="document_session_comment", subject_id=comment.id
    )
    assert [(c.verb, c.actor_person_id) for c in shown.items] == [("comment", docs.people["bob"].id)]

"""Comments: anchored to a passage by a quote with context, found again in later revisions (or said plainly to
have changed), refused naming the field when the passage is not there, resolved by revisers or their author."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.documents import services
from mechanisms.documents.contracts import Anchor, AnchorStatus
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.notifications import services as notifications_services

BODY = "Customers wait three days for a refund.\n\nWe refund in one hour.\n\nWe refund in one hour, always."


def test_an_anchored_comment_is_found_again_after_the_text_around_it_moves(docs, make_doc):
    ann, bob = docs.actor("ann"), docs.actor("bob")
    doc = make_doc(body=BODY)
    comment = services.add_comment(
        actor=bob, document_id=doc.id, body="Is one hour real?", anchor=Anchor("body", "one hour", suffix=", always")
    )
    assert comment.status == AnchorStatus.FOUND and comment.start == BODY.index("one hour, always")
    assert comment.anchor.prefix.endswith("We refund in ")  # context taken from the text when not given
    moved = "A new opening paragraph.\n\n" + BODY
    services.revise_document(actor=ann, document_id=doc.id, parts={"body": moved}, version=doc.version)
    [listed] = services.list_comments(actor=ann, document_id=doc.id).items
    assert listed.status == AnchorStatus.FOUND
    assert listed.start == moved.index("one hour, always")  # the twin whose context matches, not the first


def test_a_comment_whose_passage_was_rewritten_says_its_passage_changed(docs, make_doc):
    ann, bob = docs.actor("ann"), docs.actor("bob")
    doc = make_doc(body=BODY)
    services.add_comment(actor=bob, document_id=doc.id, body="Source?", anchor=Anchor("body", "three days"))
    services.revise_document(
        actor=ann, document_id=doc.id, parts={"body": BODY.replace("three days", "a week")}, version=doc.version
    )
    [now] = services.list_comments(actor=ann, document_id=doc.id).items
    assert now.status == AnchorStatus.CHANGED and now.start is None and now.revision == 1
    [then] = services.list_comments(actor=ann, document_id=doc.id, revision=1).items
    assert then.status == AnchorStatus.FOUND
    view = services.document_view(actor=ann, document_id=doc.id)
    assert [e.comment.id for e in view.changed] == [now.id] and view.sections[0].markers == ()
    [marked] = services.document_view(actor=ann, document_id=doc.id, revision=1).sections[0].markers
    assert marked.comment.id == now.id and marked.author == "Bob Ruiz" and marked.part_label == "Body"


def test_a_quote_that_is_not_in_the_revision_is_refused_naming_the_quote_and_nothing_is_written(docs, make_doc):
    doc = make_doc(body=BODY)
    bob = docs.actor("bob")
    with pytest.raises(RuleViolation) as err:
        services.add_comment(actor=bob, document_id=doc.id, body="x", anchor=Anchor("body", "five days"))
    assert err.value.field == "anchor.quote"
    with pytest.raises(RuleViolation) as err:
        services.add_comment(actor=bob, document_id=doc.id, body="x", anchor=Anchor("nope", "refund"))
    assert err.value.field == "anchor.part"
    for body in ("", "   ", "x" * 20_001, "a\x00b"):
        with pytest.raises(RuleViolation) as err:
            services.add_comment(actor=bob, document_id=doc.id, body=body)
        assert err.value.field == "body"
    with pytest.raises(RuleViolation) as err:
        services.add_comment(actor=bob, document_id=doc.id, body="x", revision=7)
    assert err.value.field == "revision"
    assert services.list_comments(actor=bob, document_id=doc.id).total == 0
    assert services.count_comments(actor=bob, document_id=doc.id) == 0


def test_a_comment_on_an_earlier_revision_anchors_to_that_revisions_text(docs, make_doc):
    ann, bob = docs.actor("ann"), docs.actor("bob")
    doc = make_doc(body="old words here")
    services.revise_document(actor=ann, document_id=doc.id, parts={"body": "new words here"}, version=doc.version)
    with pytest.raises(RuleViolation):
        services.add_comment(actor=bob, document_id=doc.id, body="x", anchor=Anchor("body", "old words"))
    comment = services.add_comment(
        actor=bob, document_id=doc.id, body="x", revision=1, anchor=Anchor("body", "old words", suffix="x" * 500)
    )
    assert comment.revision == 1 and len(comment.anchor.suffix) == 200  # context clipped to 200


def test_only_readers_with_comment_access_comment_and_outsiders_get_not_found(docs, make_doc):
    doc = make_doc(body=BODY)
    with pytest.raises(PermissionDenied):
        services.add_comment(actor=docs.actor("cat"), document_id=doc.id, body="may I?")
    for outsider in ("dan", "admin"):
        with pytest.raises(NotFound):
            services.add_comment(actor=docs.actor(outsider), document_id=doc.id, body="hello")
        with pytest.raises(NotFound):
            services.list_comments(actor=docs.actor(outsider), document_id=doc.id)
    assert services.list_comments(actor=docs.actor("ann"), document_id=doc.id).total == 0


def test_the_creator_is_told_of_a_comment_by_title_and_link_without_its_text(docs, make_doc):
    doc = make_doc(body=BODY, title="Refunds in an hour")
    services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="a secret objection")
    [item] = notifications_services.list_inbox(actor=docs.actor("ann")).items
    assert "Refunds in an hour" in item.title and item.url == f"/t/{doc.owner_id}"
    assert "secret" not in item.title + item.body


def test_the_history_keeps_that_a_comment_was_made_but_not_its_text(docs, make_doc):
    doc = make_doc(body=BODY)
    services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="a secret objection")
    changes = audit_services.list_changes(actor=docs.actor("ann"), subject_type="document", subject_id=str(doc.id))
    assert [c.verb for c in changes.items][:1] == ["comment"]
    assert "secret" not in repr(changes.items)
    with pytest.raises(NotFound):
        audit_services.list_changes(actor=docs.actor("dan"), subject_type="document", subject_id=str(doc.id))


def test_a_comment_is_resolved_by_a_reviser_or_its_author_once_with_the_version_it_read(docs, make_doc):
    doc = make_doc(body=BODY)
    bob, cat, ann = docs.actor("bob"), docs.actor("cat"), docs.actor("ann")
    comment = services.add_comment(actor=bob, document_id=doc.id, body="fix this")
    with pytest.raises(PermissionDenied):
        services.resolve_comment(actor=cat, comment_id=comment.id, version=comment.version)
    with pytest.raises(NotFound):
        services.resolve_comment(actor=docs.actor("dan"), comment_id=comment.id, version=comment.version)
    with pytest.raises(Conflict):
        services.resolve_comment(actor=ann, comment_id=comment.id, version=comment.version + 1)
    done = services.resolve_comment(actor=ann, comment_id=comment.id, version=comment.version)
    assert done.resolved and done.version == comment.version + 1
    with pytest.raises(RuleViolation) as err:
        services.resolve_comment(actor=bob, comment_id=comment.id, version=done.version)
    assert err.value.field == "resolved"
    own = services.add_comment(actor=bob, document_id=doc.id, body="mine")
    assert services.resolve_comment(actor=bob, comment_id=own.id, version=own.version).resolved
    assert services.count_comments(actor=ann, document_id=doc.id, unresolved=True) == 0


def test_a_passage_selected_on_the_rendered_page_anchors_to_its_markdown_source(docs, make_doc):
    doc = make_doc(body="We refund in **one hour**, always.")
    made = services.add_comment(
        actor=docs.actor("bob"), document_id=doc.id, body="nice", anchor=Anchor("body", "in one hour")
    )
    assert made.anchor.quote == "in **one hour" and made.status == AnchorStatus.FOUND and made.start == 10

"""The documents pages: the document with its partials, revisions, a revision, the diff; posts from the partials'
forms (which work without JavaScript), their errors beside the field, an unreadable owner a 404, the download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mechanisms.documents import services
from mechanisms.documents.contracts import Anchor
from mechanisms.kernel.testing import field_error, page_text, signed_in

from .conftest import PNG

BODY = "We refund in **one hour**.\n\nCustomers wait three days today."


@pytest.fixture
def doc(make_doc):
    return make_doc(body=BODY, appendix="Numbers.", title="Refunds")


def test_the_document_page_renders_the_revision_by_parts_with_comment_markers_and_the_forms(docs, doc):
    services.add_comment(
        actor=docs.actor("bob"), document_id=doc.id, body="*Really?*", anchor=Anchor("body", "three days")
    )
    response = signed_in("bob").get(f"/documents/{doc.id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>one hour</strong>" in html and "<em>Really?</em>" in html
    text = page_text(response)
    assert "Comment on “three days” by Bob Ruiz" in text and "Revision 1 (current)" in text
    assert 'id="doc-comment-form"' in html and 'name="file"' in html  # bob may comment and attach
    cat = signed_in("cat").get(f"/documents/{doc.id}").content.decode()
    assert 'id="doc-comment-form"' not in cat and 'name="file"' not in cat  # cat may only read


def test_a_comment_whose_passage_changed_says_so_plainly_on_the_page(docs, doc):
    services.add_comment(
        actor=docs.actor("bob"), document_id=doc.id, body="Source?", anchor=Anchor("body", "three days")
    )
    services.revise_document(
        actor=docs.actor("ann"), document_id=doc.id, parts={"body": "We refund in one hour."}, version=doc.version
    )
    text = page_text(signed_in("ann").get(f"/documents/{doc.id}"))
    assert "passage changed since revision 1" in text
    old = page_text(signed_in("ann").get(f"/documents/{doc.id}/revisions/1"))
    assert "passage changed" not in old and "Comment on “three days”" in old and "see revision 2" in old


def test_posting_a_comment_without_javascript_comes_back_to_the_owner_page(docs, doc):
    client = signed_in("bob")
    response = client.post(
        f"/documents/{doc.id}/comments",
        {"body": "Good", "part": "body", "quote": "one hour", "revision": 1, "next": "/t/owner-page"},
    )
    assert response.status_code == 302 and response["Location"] == "/t/owner-page"
    [made] = services.list_comments(actor=docs.actor("ann"), document_id=doc.id).items
    assert made.anchor.quote == "one hour"
    away = client.post(f"/documents/{doc.id}/comments", {"body": "x", "next": "https://evil.example/"})
    assert away["Location"] == f"/documents/{doc.id}"  # never sent to another site


def test_a_refused_comment_comes_back_with_the_error_beside_its_field_and_nothing_changes(docs, doc):
    client = signed_in("bob")
    response = client.post(f"/documents/{doc.id}/comments", {"body": "x", "part": "body", "quote": "ten days"})
    assert response.status_code == 400
    assert "not in this revision" in field_error(response, "doc-comment-quote")
    assert 'value="ten days"' in response.content.decode()  # what was typed is kept
    empty = client.post(f"/documents/{doc.id}/comments", {"body": ""})
    assert empty.status_code == 400 and field_error(empty, "doc-comment-body")
    assert services.count_comments(actor=docs.actor("ann"), document_id=doc.id) == 0
    assert signed_in("cat").post(f"/documents/{doc.id}/comments", {"body": "x"}).status_code == 403


def test_resolving_from_the_page_and_a_stale_resolve_is_a_409(docs, doc):
    comment = services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="fix")
    ann = signed_in("ann")
    url = f"/documents/{doc.id}/comments/{comment.id}/resolve"
    assert ann.post(url, {"version": comment.version + 5}).status_code == 409
    assert ann.post(url, {"version": comment.version}).status_code == 302
    assert services.list_comments(actor=docs.actor("ann"), document_id=doc.id).items[0].resolved


def test_uploading_on_the_page_and_an_svg_is_refused_beside_the_file_field(docs, doc, media):
    client = signed_in("bob")
    ok = client.post(
        f"/documents/{doc.id}/attachments", {"file": SimpleUploadedFile("m.png", PNG), "purpose": "mockup"}
    )
    assert ok.status_code == 302
    svg = SimpleUploadedFile("m.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    refused = client.post(f"/documents/{doc.id}/attachments", {"file": svg, "purpose": "image"})
    assert refused.status_code == 400 and "can carry script" in field_error(refused, "doc-attach-file")
    assert services.count_attachments(document_id=doc.id, purpose="mockup") == 1
    assert services.count_attachments(document_id=doc.id, purpose="image") == 0


def test_the_download_door_checks_the_owner_and_sends_safe_headers(docs, doc):
    shot = services.attach_file(
        actor=docs.actor("ann"), document_id=doc.id, name="m.png", content=PNG, purpose="mockup"
    )
    got = signed_in("cat").get(f"/documents/{doc.id}/attachments/{shot.id}")
    assert got.status_code == 200 and got.content == PNG
    assert got["Content-Type"] == "image/png" and got["X-Content-Type-Options"] == "nosniff"
    assert signed_in("dan").get(f"/documents/{doc.id}/attachments/{shot.id}").status_code == 404
    other = services.create_document(actor=docs.actor("ann"), owner_kind="test_doc", owner_id=77, title="Other")
    assert signed_in("cat").get(f"/documents/{other.id}/attachments/{shot.id}").status_code == 404


def test_revisions_and_diff_pages_show_every_revision_and_colour_the_changed_lines(docs, doc):
    services.revise_document(
        actor=docs.actor("ann"), document_id=doc.id, parts={"body": "We refund in one minute."}, version=doc.version
    )
    listing = signed_in("cat").get(f"/documents/{doc.id}/revisions")
    assert listing.status_code == 200 and 'id="revision-2"' in listing.content.decode()
    diff = signed_in("cat").get(f"/documents/{doc.id}/diff?base=1&head=2").content.decode()
    assert '<span class="diff-add">+We refund in one minute.</span>' in diff
    assert '<span class="diff-del">-We refund in **one hour**.</span>' in diff
    assert "Unchanged." in diff  # the appendix


@pytest.mark.parametrize(
    "path",
    ["/documents/{id}", "/documents/{id}/revisions", "/documents/{id}/revisions/1", "/documents/{id}/diff?base=1"],
)
def test_an_unreadable_owner_is_a_404_on_every_page(docs, doc, path):
    for handle in ("dan", "admin"):
        response = signed_in(handle).get(path.format(id=doc.id))
        assert response.status_code == 404 and "Refunds" not in response.content.decode()

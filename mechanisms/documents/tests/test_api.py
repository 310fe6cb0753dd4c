"""The documents API: shapes, a stale revise is a 409, every bad input a 4xx naming the field that changes
nothing, an unreadable owner a 404 in every operation, and the download's headers."""

from __future__ import annotations

import json

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.documents import services
from mechanisms.documents.contracts import Anchor
from mechanisms.kernel.testing import field_of

from .conftest import PDF, PNG

API = "/api/v1/documents"


def _put(client, url, body):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _changes(docs, doc_id):
    return audit_services.list_changes(actor=docs.actor("ann"), subject_type="document", subject_id=str(doc_id)).total


def test_a_document_its_revisions_and_the_diff_read_through_the_api(docs, make_doc, as_):
    doc = make_doc(body="one\ntwo")
    ann = as_("ann")
    got = ann.get(f"{API}/{doc.id}")
    assert got.status_code == 200 and got.json()["access"] == sorted(["attach", "comment", "present", "read", "revise"])
    revised = _put(ann, f"{API}/{doc.id}", {"parts": {"body": "one\nthree"}, "note": "clearer", "version": 1})
    assert revised.status_code == 200 and revised.json()["revision"] == 2
    assert [r["number"] for r in ann.get(f"{API}/{doc.id}/revisions").json()["items"]] == [2, 1]
    assert ann.get(f"{API}/{doc.id}/revisions/1").json()["parts"] == {"body": "one\ntwo", "appendix": ""}
    diff = ann.get(f"{API}/{doc.id}/diff?base=1").json()
    assert diff["head"] == 2 and "+three" in diff["parts"][0]["lines"] and not diff["parts"][1]["changed"]
    assert ann.get(f"{API}/{doc.id}/revisions/9").status_code == 404


def test_a_stale_revise_is_a_409_and_writes_nothing(docs, make_doc, as_):
    doc = make_doc(body="x")
    ann = as_("ann")
    assert _put(ann, f"{API}/{doc.id}", {"parts": {"body": "y"}, "version": 1}).status_code == 200
    before = _changes(docs, doc.id)
    stale = _put(ann, f"{API}/{doc.id}", {"parts": {"body": "z"}, "version": 1})
    assert stale.status_code == 409 and field_of(stale) == "version"
    assert services.get_document(actor=docs.actor("ann"), document_id=doc.id).revision == 2
    assert _changes(docs, doc.id) == before


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"parts": {"nope": "x"}, "version": 1}, 400, "parts.nope"),
        ({"parts": {"body": "x"}, "title": "", "version": 1}, 400, "title"),
        ({"parts": {"body": "x"}, "note": "n" * 501, "version": 1}, 400, "note"),
        ({"parts": {"body": "x"}}, 422, "version"),
        ({"parts": {"body": 5}, "version": 1}, 422, "parts"),
        ({"parts": {"body": "x"}, "version": 1, "extra": 1}, 422, "extra"),
        ({"parts": {"body": "x"}, "version": "1"}, 422, "version"),
    ],
)
def test_every_bad_revise_is_a_4xx_naming_the_field_and_changes_nothing(docs, make_doc, as_, body, status, field):
    doc = make_doc(body="x0")
    before = _changes(docs, doc.id)
    response = _put(as_("ann"), f"{API}/{doc.id}", body)
    assert response.status_code == status
    assert field in json.dumps(response.json()["error"]["details"])
    assert services.get_document(actor=docs.actor("ann"), document_id=doc.id).revision == 1
    assert _changes(docs, doc.id) == before


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"body": ""}, 400, "body"),
        ({"body": "x", "anchor": {"part": "body", "quote": "not there"}}, 400, "anchor.quote"),
        ({"body": "x", "anchor": {"part": "nope", "quote": "words"}}, 400, "anchor.part"),
        ({"body": "x", "revision": 4}, 400, "revision"),
        ({"body": "x", "session_id": 99}, 404, "session_id"),
        ({"body": "x", "anchor": {"quote": "words"}}, 422, "part"),
        ({"body": "x", "colour": "red"}, 422, "colour"),
    ],
)
def test_every_bad_comment_is_a_4xx_naming_the_field_and_changes_nothing(docs, make_doc, as_, body, status, field):
    doc = make_doc(body="some words here")
    response = _post(as_("bob"), f"{API}/{doc.id}/comments", body)
    assert response.status_code == status
    assert field in json.dumps(response.json()["error"]["details"])
    assert services.count_comments(actor=docs.actor("ann"), document_id=doc.id) == 0


def test_comments_are_added_listed_with_their_passage_and_resolved(docs, make_doc, as_):
    doc = make_doc(body="some words here")
    bob = as_("bob")
    made = _post(bob, f"{API}/{doc.id}/comments", {"body": "why?", "anchor": {"part": "body", "quote": "words"}})
    assert made.status_code == 201 and made.json()["status"] == "found" and made.json()["start"] == 5
    listed = as_("cat").get(f"{API}/{doc.id}/comments").json()
    assert listed["total"] == 1 and listed["items"][0]["anchor"]["quote"] == "words"
    comment = made.json()
    stale = _post(as_("ann"), f"{API}/comments/{comment['id']}/resolve", {"version": comment["version"] + 1})
    assert stale.status_code == 409
    done = _post(as_("ann"), f"{API}/comments/{comment['id']}/resolve", {"version": comment["version"]})
    assert done.status_code == 200 and done.json()["resolved"]
    assert _post(as_("cat"), f"{API}/{doc.id}/comments", {"body": "hi"}).status_code == 403


def test_an_unreadable_owner_is_a_404_in_every_operation(docs, make_doc, as_):
    doc = make_doc(body="some words here")
    comment = services.add_comment(
        actor=docs.actor("bob"), document_id=doc.id, body="c", anchor=Anchor("body", "words")
    )
    shot = services.attach_file(actor=docs.actor("ann"), document_id=doc.id, name="a.png", content=PNG, purpose="image")
    for handle in ("dan", "admin"):
        client = as_(handle)
        for response in (
            client.get(f"{API}/{doc.id}"),
            client.get(f"{API}/{doc.id}/revisions"),
            client.get(f"{API}/{doc.id}/revisions/1"),
            client.get(f"{API}/{doc.id}/diff?base=1"),
            client.get(f"{API}/{doc.id}/comments"),
            client.get(f"{API}/{doc.id}/attachments"),
            client.get(f"{API}/attachments/{shot.id}"),
            client.delete(f"{API}/attachments/{shot.id}"),
            _put(client, f"{API}/{doc.id}", {"parts": {"body": "mine"}, "version": 1}),
            _post(client, f"{API}/{doc.id}/comments", {"body": "hi"}),
            _post(client, f"{API}/comments/{comment.id}/resolve", {"version": 1}),
            client.post(f"{API}/{doc.id}/attachments", {"file": _upload("b.png", PNG), "purpose": "image"}),
        ):
            assert response.status_code == 404, (handle, response.request["PATH_INFO"], response.status_code)
            assert "words" not in response.content.decode()
    assert services.get_document(actor=docs.actor("ann"), document_id=doc.id).revision == 1
    assert services.list_attachments(actor=docs.actor("ann"), document_id=doc.id).total == 1


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_an_upload_is_typed_from_its_bytes_and_downloaded_with_safe_headers(docs, make_doc, as_):
    doc = make_doc(body="x")
    bob = as_("bob")
    made = bob.post(f"{API}/{doc.id}/attachments", {"file": _upload("mock.png", PNG), "purpose": "mockup"})
    assert made.status_code == 201 and made.json()["content_type"] == "image/png"
    image = as_("cat").get(f"{API}/attachments/{made.json()['id']}")
    assert image.status_code == 200 and image.content == PNG and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff" and image["Content-Disposition"].startswith("inline")
    pdf = bob.post(f"{API}/{doc.id}/attachments", {"file": _upload("spec.pdf", PDF), "purpose": "file"}).json()
    got = bob.get(f"{API}/attachments/{pdf['id']}")
    assert got["Content-Type"] == "application/pdf" and got["Content-Disposition"] == 'attachment; filename="spec.pdf"'
    listed = bob.get(f"{API}/{doc.id}/attachments?purpose=mockup").json()
    assert [a["name"] for a in listed["items"]] == ["mock.png"]


@pytest.mark.parametrize(
    "name, content, purpose, field",
    [
        ("evil.png", b"<svg onload='alert(1)'/>", "image", "file"),
        ("page.png", b"<html><script>alert(1)</script>", "image", "file"),
        ("ok.png", PNG, "poster", "purpose"),
    ],
)
def test_a_bad_upload_is_a_400_naming_the_field_and_stores_nothing(
    docs, make_doc, as_, media, name, content, purpose, field
):
    doc = make_doc(body="x")
    response = as_("bob").post(f"{API}/{doc.id}/attachments", {"file": _upload(name, content), "purpose": purpose})
    assert response.status_code == 400 and field_of(response) == field
    assert services.list_attachments(actor=docs.actor("ann"), document_id=doc.id).total == 0
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_an_upload_over_the_limit_is_refused_naming_the_file(docs, make_doc, as_, settings):
    settings.MECHANISMS = {**settings.MECHANISMS, "ATTACHMENT_MAX_BYTES": 10}
    doc = make_doc(body="x")
    response = as_("bob").post(f"{API}/{doc.id}/attachments", {"file": _upload("a.png", PNG), "purpose": "image"})
    assert response.status_code == 400 and field_of(response) == "file"


def test_removing_an_attachment_through_the_api_hides_it(docs, make_doc, as_):
    doc = make_doc(body="x")
    shot = services.attach_file(actor=docs.actor("ann"), document_id=doc.id, name="a.png", content=PNG, purpose="image")
    assert as_("cat").delete(f"{API}/attachments/{shot.id}").status_code == 403
    assert as_("bob").delete(f"{API}/attachments/{shot.id}").status_code == 200
    assert as_("bob").get(f"{API}/attachments/{shot.id}").status_code == 404


def test_a_file_larger_than_the_json_body_limit_but_within_its_own_is_accepted(docs, make_doc, as_):
    doc = make_doc(body="x")
    big = PNG + b"\x00" * (3 * 1024 * 1024)  # over Django's 2.5 MB body limit, which multipart files are not held to
    response = as_("bob").post(f"{API}/{doc.id}/attachments", {"file": _upload("big.png", big), "purpose": "mockup"})
    assert response.status_code == 201 and response.json()["size"] == len(big)

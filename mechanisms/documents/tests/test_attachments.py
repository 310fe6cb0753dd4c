"""Attachments: size-limited, typed from their bytes (SVG and HTML refused: they can carry script), stored under a
random key, read only through the owner's access, removed with the file deleted on commit."""

from __future__ import annotations

import pytest

from mechanisms.documents import services
from mechanisms.documents.contracts import AttachmentPurpose
from mechanisms.kernel import files
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation

from .conftest import PDF, PNG

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def test_an_attachment_is_stored_typed_from_its_bytes_and_counted_by_purpose(docs, make_doc, media):
    doc = make_doc(body="x")
    bob = docs.actor("bob")
    shot = services.attach_file(actor=bob, document_id=doc.id, name="../../mock.gif", content=PNG, purpose="mockup")
    assert shot.content_type == "image/png" and shot.name == "mock.gif" and shot.size == len(PNG)
    services.attach_file(actor=bob, document_id=doc.id, name="spec.pdf", content=PDF, purpose=AttachmentPurpose.FILE)
    assert services.count_attachments(document_id=doc.id, purpose="mockup") == 1
    assert services.read_attachment(actor=docs.actor("cat"), attachment_id=shot.id).content == PNG
    stored = [p for p in media.rglob("*") if p.is_file()]
    assert len(stored) == 2 and all(p.parent.name == "documents" and "mock" not in p.name for p in stored)


@pytest.mark.parametrize(
    "content, words",
    [(SVG, "can carry script"), (HTML, "can carry script"), (b"plain words", "must be"), (b"PK\x03\x04zz", "must be")],
)
def test_svg_html_and_other_types_are_refused_naming_the_file_and_nothing_is_stored(
    docs, make_doc, media, content, words
):
    doc = make_doc(body="x")
    with pytest.raises(RuleViolation) as err:
        services.attach_file(
            actor=docs.actor("bob"), document_id=doc.id, name="x.png", content=content, purpose="image"
        )
    assert err.value.field == "file" and words in err.value.message
    assert services.list_attachments(actor=docs.actor("ann"), document_id=doc.id).total == 0
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_or_empty_is_refused_naming_the_file(docs, make_doc, settings):
    settings.MECHANISMS = {**settings.MECHANISMS, "ATTACHMENT_MAX_BYTES": len(PNG) - 1}
    doc = make_doc(body="x")
    for content in (PNG, b""):
        with pytest.raises(RuleViolation) as err:
            services.attach_file(
                actor=docs.actor("ann"), document_id=doc.id, name="a.png", content=content, purpose="image"
            )
        assert err.value.field == "file"
    with pytest.raises(RuleViolation) as err:
        services.attach_file(actor=docs.actor("ann"), document_id=doc.id, name="a.png", content=PDF, purpose="poster")
    assert err.value.field == "purpose"
    with pytest.raises(RuleViolation) as err:
        services.attach_file(actor=docs.actor("ann"), document_id=doc.id, name="  ", content=PDF, purpose="file")
    assert err.value.field == "name"


def test_only_those_the_owner_lets_attach_may_and_outsiders_read_nothing(docs, make_doc):
    doc = make_doc(body="x")
    with pytest.raises(PermissionDenied):
        services.attach_file(actor=docs.actor("cat"), document_id=doc.id, name="a.png", content=PNG, purpose="image")
    shot = services.attach_file(actor=docs.actor("ann"), document_id=doc.id, name="a.png", content=PNG, purpose="image")
    for outsider in ("dan", "admin"):
        with pytest.raises(NotFound):
            services.read_attachment(actor=docs.actor(outsider), attachment_id=shot.id)
        with pytest.raises(NotFound):
            services.list_attachments(actor=docs.actor(outsider), document_id=doc.id)
        with pytest.raises(NotFound):
            services.remove_attachment(actor=docs.actor(outsider), attachment_id=shot.id)
    with pytest.raises(PermissionDenied):
        services.remove_attachment(actor=docs.actor("cat"), attachment_id=shot.id)


def test_a_removed_attachment_is_gone_from_every_door_and_its_file_deleted(
    docs, make_doc, media, django_capture_on_commit_callbacks
):
    doc = make_doc(body="x")
    ann = docs.actor("ann")
    shot = services.attach_file(actor=ann, document_id=doc.id, name="a.png", content=PNG, purpose="mockup")
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(actor=ann, attachment_id=shot.id)
    assert not [p for p in media.rglob("*") if p.is_file()]
    assert services.count_attachments(document_id=doc.id, purpose="mockup") == 0
    with pytest.raises(NotFound):
        services.read_attachment(actor=ann, attachment_id=shot.id)
    with pytest.raises(NotFound):
        services.remove_attachment(actor=ann, attachment_id=shot.id)


@pytest.mark.parametrize(
    "content, expected",
    [
        (PNG, files.PNG),
        (b"\xff\xd8\xff\xe0rest", files.JPEG),
        (b"GIF89a....", files.GIF),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", files.WEBP),
        (PDF, files.PDF),
        (b"\xef\xbb\xbf  <!-- a --><svg/>", files.SVG),
        (b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg>', files.SVG),
        (b"<HTML><p>hi", files.HTML),
        (b"<svgx is not svg", files.TEXT),
        (b"\x00\x01binary", ""),
    ],
)
def test_the_one_sniffer_reads_the_type_from_the_magic_bytes(content, expected):
    assert files.detect(content, "whatever.png") == expected

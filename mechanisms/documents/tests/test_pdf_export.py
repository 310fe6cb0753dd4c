"""The documents' PDF export (issue 11 item 6): one revision, its parts under their labels, its image attachments
embedded; readable exactly as the owning app says (404 for everyone else, at the service, the API and the page);
nothing outside the document gets into it."""

from __future__ import annotations

import io

import pytest

from mechanisms.documents import services
from mechanisms.documents.contracts import AttachmentPurpose
from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.testing import pdf_opened, pdf_text, pdf_threats, signed_in

from .conftest import PDF

pytestmark = pytest.mark.django_db


def _png(color=(10, 120, 200)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(out, format="PNG")
    return out.getvalue()


def _images(pdf: bytes) -> int:
    return pdf_opened(pdf).count(b"/Subtype /Image")


def test_the_pdf_holds_the_title_and_every_part_under_its_label(make_doc, docs):
    doc = make_doc(title="Quarterly plan zqtitlex", body="# Why\n\nCustomers zqbodyx **wait**.", appendix="")
    name, pdf = services.export_pdf(actor=docs.actor("cat"), document_id=doc.id)
    assert name == "quarterly-plan-zqtitlex-r1.pdf"
    text = pdf_text(pdf)
    assert "Quarterly plan zqtitlex" in text
    assert "Body" in text and "Customers zqbodyx wait" in text
    assert "Appendix" in text and "Not written." in text
    assert "Page 1 of 1" in text
    assert pdf_threats(pdf) == []


def test_an_older_revision_is_printed_as_it_was(make_doc, docs):
    doc = make_doc(body="First zqfirstx")
    services.revise_document(actor=docs.actor("ann"), document_id=doc.id, parts={"body": "Then zqsecondx"}, version=1)
    old = pdf_text(services.export_pdf(actor=docs.actor("bob"), document_id=doc.id, revision=1)[1])
    new = pdf_text(services.export_pdf(actor=docs.actor("bob"), document_id=doc.id)[1])
    assert "zqfirstx" in old and "zqsecondx" not in old and "revision 1 of 2" in old
    assert "zqsecondx" in new and "zqfirstx" not in new
    with pytest.raises(NotFound):
        services.export_pdf(actor=docs.actor("bob"), document_id=doc.id, revision=3)


def test_someone_the_owner_does_not_let_read_gets_not_found(make_doc, docs):
    doc = make_doc(body="Secret zqsecretx")
    for handle in ("dan", "admin"):
        with pytest.raises(NotFound):
            services.export_pdf(actor=docs.actor(handle), document_id=doc.id)
    with pytest.raises(NotFound):
        services.export_pdf(actor=docs.actor("ann"), document_id=doc.id + 999)


def test_image_and_mockup_attachments_are_embedded_and_other_files_listed(make_doc, docs):
    doc = make_doc(body="See the mockup.")
    ann = docs.actor("ann")
    services.attach_file(
        actor=ann, document_id=doc.id, name="flow.png", content=_png(), purpose=AttachmentPurpose.MOCKUP
    )
    services.attach_file(actor=ann, document_id=doc.id, name="brief.pdf", content=PDF, purpose=AttachmentPurpose.FILE)
    _, pdf = services.export_pdf(actor=docs.actor("cat"), document_id=doc.id)
    assert _images(pdf) == 1
    text = pdf_text(pdf)
    assert "Attachments" in text and "flow.png" in text and "brief.pdf" in text


def test_a_removed_attachment_is_not_printed(make_doc, docs):
    doc = make_doc(body="Nothing attached for long.")
    ann = docs.actor("ann")
    gone = services.attach_file(actor=ann, document_id=doc.id, name="old.png", content=_png(), purpose="image")
    services.remove_attachment(actor=ann, attachment_id=gone.id)
    _, pdf = services.export_pdf(actor=ann, document_id=doc.id)
    assert _images(pdf) == 0
    assert "old.png" not in pdf_text(pdf)


def test_the_body_embeds_its_own_attachments_but_never_another_documents(make_doc, docs):
    ann = docs.actor("ann")
    other = make_doc(body="Another document.")
    theirs = services.attach_file(
        actor=ann, document_id=other.id, name="x.png", content=_png((1, 1, 1)), purpose="image"
    )
    doc = make_doc(body="placeholder")
    mine = services.attach_file(actor=ann, document_id=doc.id, name="m.png", content=_png(), purpose="file")
    body = (
        f"![mine](/api/v1/documents/attachments/{mine.id}) ![theirs](/documents/{other.id}/attachments/{theirs.id}) "
        f"![theirs here](/documents/{doc.id}/attachments/{theirs.id}) "
        f"![theirs again](/api/v1/documents/attachments/{theirs.id}) ![far](http://127.0.0.1:9/x.png)"
    )
    services.revise_document(actor=ann, document_id=doc.id, parts={"body": body}, version=doc.version)
    _, pdf = services.export_pdf(actor=ann, document_id=doc.id)
    # A "file" attachment is not printed in the attachments section, but the body embeds its own PNG; the other
    # document's image is not fetched for it, whoever asks.
    assert _images(pdf) == 1


def test_the_api_and_the_page_serve_it_to_readers_only(make_doc, docs, as_):
    doc = make_doc(body="Readable zqreadx")
    response = as_("cat").get(f"/api/v1/documents/{doc.id}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "zqreadx" in pdf_text(response.content)
    assert as_("dan").get(f"/api/v1/documents/{doc.id}/pdf").status_code == 404
    assert as_("cat").get(f"/api/v1/documents/{doc.id}/pdf?revision=5").status_code == 404
    from django.test import Client

    assert Client().get(f"/api/v1/documents/{doc.id}/pdf").status_code == 401

    page = signed_in("bob").get(f"/documents/{doc.id}/pdf?revision=1")
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf"
    assert signed_in("dan").get(f"/documents/{doc.id}/pdf").status_code == 404
    anonymous = Client().get(f"/documents/{doc.id}/pdf")
    assert anonymous.status_code == 302 and "signin" in anonymous["Location"]

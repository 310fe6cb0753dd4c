"""The PR/FAQ and narrative pages link to their PDF (issue 11 item 6; the documents' PDF door)."""

from __future__ import annotations

import pytest

from mechanisms.kernel.testing import signed_in

pytestmark = pytest.mark.django_db


def test_the_prfaq_and_narrative_pages_link_to_their_pdf(small_org, settings, tmp_path):
    from mechanisms.working_backwards import services as wb

    settings.MEDIA_ROOT = str(tmp_path / "media")
    bob = small_org.actor("bob")
    prfaq = wb.create_prfaq(actor=bob, title="Linked", team_id=small_org.teams["checkout"].id)
    narrative = wb.create_narrative(actor=bob, title="Linked", team_id=small_org.teams["checkout"].id, body="Prose.")
    client = signed_in("bob")
    for page, document_id in (
        (f"/prfaqs/{prfaq.id}", prfaq.document_id),
        (f"/narratives/{narrative.id}", narrative.document_id),
    ):
        html = client.get(page).content.decode()
        assert f'href="/documents/{document_id}/pdf"' in html, page
        assert client.get(f"/documents/{document_id}/pdf").status_code == 200

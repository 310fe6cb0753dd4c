"""The PR/FAQ pages: the list, the page, the editor and its live preview with the checker, the forms they post."""

from __future__ import annotations

import pytest
from django.test import Client

from mechanisms.kernel.testing import PASSWORD
from mechanisms.working_backwards import services
from mechanisms.working_backwards.contracts import PRFAQ_PARTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(small_org):
    clients: dict = {}

    def get(handle: str) -> Client:
        if handle not in clients:
            client = Client()
            assert client.login(username=handle, password=PASSWORD)
            clients[handle] = client
        return clients[handle]

    return get


def _prfaq(org, parts, **kw):
    return services.create_prfaq(
        actor=org.actor("bob"), title="Acme Pay Later", team_id=org.teams["checkout"].id, parts=parts, **kw
    )


def test_the_list_shows_only_what_the_viewer_may_read(small_org, signed_in, good_parts):
    prfaq = _prfaq(small_org, good_parts)
    assert "Acme Pay Later" in signed_in("bob").get("/prfaqs").content.decode()
    body = signed_in("ann").get("/prfaqs").content.decode()
    assert "Acme Pay Later" not in body and 'id="no-prfaqs"' in body
    assert signed_in("ann").get(f"/prfaqs/{prfaq.id}").status_code == 404
    assert signed_in("admin").get(f"/prfaqs/{prfaq.id}").status_code == 404
    assert signed_in("ann").get(f"/prfaqs/{prfaq.id}/edit").status_code == 404


def test_the_page_renders_the_document_circles_checker_and_actions(small_org, signed_in, good_parts):
    prfaq = _prfaq(small_org, dict(good_parts, summary="A <script>alert(1)</script> **bold** summary"))
    body = signed_in("bob").get(f"/prfaqs/{prfaq.id}").content.decode()
    assert "<strong>bold</strong>" in body and "<script>alert(1)" not in body
    assert 'id="circle-1"' in body and 'id="action-shelve"' in body
    assert 'id="action-submit"' not in body  # no circle-2 reviewer named yet: not offered
    assert 'id="checker"' in body
    assert 'id="doc-attachments"' in body and 'id="doc-attach-file"' in body  # the author attaches mockups
    assert 'id="history"' in body
    assert f'href="/documents/{prfaq.document_id}/pdf"' in body
    assert "circle 3: vp-retail; circle 4: ceo" in body  # the org chart's suggestion for the outer circles


def test_naming_circle_two_on_the_page_then_submitting(small_org, signed_in, good_parts):
    prfaq = _prfaq(small_org, good_parts)
    bob = signed_in("bob")
    unknown = bob.post(f"/prfaqs/{prfaq.id}/circles", {"circle": 2, "reviewers": "nobody", "readers": "", "version": 1})
    assert unknown.status_code == 400 and "nobody" in unknown.content.decode()
    named = bob.post(f"/prfaqs/{prfaq.id}/circles", {"circle": 2, "reviewers": "cat", "readers": "eve", "version": 1})
    assert named.status_code == 302
    assert 'id="action-submit"' in bob.get(f"/prfaqs/{prfaq.id}").content.decode()
    submitted = bob.post(f"/prfaqs/{prfaq.id}/submit", {"submit-version": 2, "submit-note": ""})
    assert submitted.status_code == 302, submitted.content.decode()[:2000]
    assert services.get_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id).circle == 2
    # A reader of circle 2 sees it, and is offered nothing but reading (and commenting, in the documents partial).
    body = signed_in("eve").get(f"/prfaqs/{prfaq.id}").content.decode()
    assert 'id="no-actions"' in body
    assert 'id="doc-comment-form"' in body and 'id="doc-attach-file"' not in body  # readers comment in review


def test_submitting_without_the_core_paragraphs_is_refused_on_the_page_naming_the_rule(
    small_org, signed_in, good_parts
):
    prfaq = _prfaq(small_org, {k: v for k, v in good_parts.items() if k != "solution"})
    services.set_circle_members(
        actor=small_org.actor("bob"),
        prfaq_id=prfaq.id,
        circle=2,
        reviewer_ids=[small_org.people["cat"].id],
        reader_ids=[],
        version=1,
    )
    body = signed_in("bob").get(f"/prfaqs/{prfaq.id}").content.decode()
    assert 'id="action-submit"' not in body  # the guard decides what is offered
    refused = signed_in("bob").post(f"/prfaqs/{prfaq.id}/submit", {"submit-version": 2})
    assert refused.status_code == 400
    assert "core paragraphs" in refused.content.decode()
    assert services.get_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id).state.value == "draft"


def _editor_post(parts, version, **more):
    return {**parts, "version": version, "note": "", **more}


def test_the_preview_renders_the_posted_parts_and_the_checker_without_saving(small_org, signed_in, good_parts):
    prfaq = _prfaq(small_org, good_parts)
    bob = signed_in("bob")
    typed = dict(good_parts, customer="", summary="We leverage **synergies**.")
    partial = bob.post(f"/prfaqs/{prfaq.id}/preview", _editor_post(typed, 1), HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert partial.status_code == 200 and 'id="prfaq-preview"' in html and "<html" not in html
    assert "<strong>synergies</strong>" in html
    assert 'data-rule="missing_core_paragraph" data-part="customer"' in html
    assert 'data-rule="jargon" data-part="summary"' in html
    # Without JavaScript, "Preview and check" posts the editor and gets it back, filled in; nothing is saved.
    page = bob.post(f"/prfaqs/{prfaq.id}/edit", _editor_post(typed, 1, preview="1"))
    assert page.status_code == 200 and 'id="prfaq-editor"' in page.content.decode()
    assert 'data-rule="jargon"' in page.content.decode()
    view = services.prfaq_view(actor=small_org.actor("bob"), prfaq_id=prfaq.id)
    assert view.revision == 1 and view.parts["customer"] == good_parts["customer"]


def test_the_editor_has_live_preview_wiring_and_saves_a_revision(small_org, signed_in, good_parts):
    prfaq = _prfaq(small_org, good_parts)
    bob = signed_in("bob")
    editor = bob.get(f"/prfaqs/{prfaq.id}/edit").content.decode()
    assert f'hx-post="/prfaqs/{prfaq.id}/preview"' in editor and 'hx-trigger="input delay:500ms"' in editor
    assert 'name="preview"' in editor
    assert editor.count("<textarea") == len(PRFAQ_PARTS)  # one textarea per part (the note is one line)
    saved = bob.post(f"/prfaqs/{prfaq.id}/edit", _editor_post(dict(good_parts, summary="Shorter."), 1))
    assert saved.status_code == 302
    stale = bob.post(f"/prfaqs/{prfaq.id}/edit", _editor_post(dict(good_parts, summary="Again."), 1))
    assert stale.status_code == 409 and "Someone else revised" in stale.content.decode()
    assert services.prfaq_view(actor=small_org.actor("bob"), prfaq_id=prfaq.id).revision == 2


def test_only_the_author_previews_and_outsiders_get_404(small_org, signed_in, good_parts):
    prfaq = _prfaq(small_org, good_parts)
    assert signed_in("ann").post(f"/prfaqs/{prfaq.id}/preview", _editor_post(good_parts, 1)).status_code == 404
    services.set_circle_members(
        actor=small_org.actor("bob"),
        prfaq_id=prfaq.id,
        circle=2,
        reviewer_ids=[small_org.people["cat"].id],
        reader_ids=[],
        version=1,
    )
    services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=2)
    assert signed_in("cat").post(f"/prfaqs/{prfaq.id}/preview", _editor_post(good_parts, 1)).status_code == 403


def test_search_finds_a_prfaq_only_for_its_readers(small_org, signed_in, good_parts):
    link = f'href="/prfaqs/{_prfaq(small_org, good_parts).id}"'
    assert link in signed_in("bob").get("/search?q=pay+later").content.decode()
    for outsider in ("admin", "ann", "cat"):
        body = signed_in(outsider).get("/search?q=pay+later").content.decode()
        assert link not in body and "Acme Pay Later" not in body

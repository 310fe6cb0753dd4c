"""The reading room in a real browser (MECHANISMS.md §6): a reader selects words of the narrative and the comment
form's passage fills itself (a static script: the page runs no inline script under the CSP), comments, and sees
only their own comment until done reading; the presenter sees it once every reader is done."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mechanisms.documents import services as documents_services
from mechanisms.working_backwards import services as wb_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = "Customers wait nine days for a refund today.\n\nWe propose to refund on the day the parcel is scanned."


def test_selecting_words_fills_the_passage_and_comments_stay_hidden_until_done(page, browser, site, small_org, sign_in):
    narrative = wb_services.create_narrative(
        actor=small_org.actor("ann"), title="Refunds on scan", team_id=small_org.teams["checkout"].id, body=BODY
    )
    session = wb_services.start_narrative_session(
        actor=small_org.actor("ann"), narrative_id=narrative.id, reader_ids=[small_org.people["bob"].id]
    )
    room = documents_services.session_url(document_id=session.document_id, session_id=session.id)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, "bob")
    page.goto(room)
    assert "ends at" in page.locator("#reading-status").inner_text()
    # Select "nine days" in the rendered text, as a mouse would, and let go.
    page.evaluate(
        """() => {
            const p = document.querySelector('[data-part=body] p');
            const node = p.firstChild;
            const start = node.textContent.indexOf('nine days');
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + 'nine days'.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            p.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }"""
    )
    assert page.locator("#id_quote").input_value() == "nine days"
    assert page.locator("#id_part").input_value() == "body"
    page.locator("#id_body").fill("Is nine days the median?")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_url(f"**{room}")
    assert "Is nine days the median?" in page.locator("#session-comments").inner_text()

    ann = browser.new_context(base_url=site)
    tab = ann.new_page()
    sign_in(tab, "ann")
    tab.goto(room)
    assert "Is nine days the median?" not in tab.locator("#session-comments").inner_text()
    expect(tab.locator("#comments-hidden")).to_be_visible()

    page.get_by_role("button", name="Done reading").click()
    page.wait_for_url(f"**{room}")
    tab.goto(room)
    assert "Is nine days the median?" in tab.locator("#session-comments").inner_text()
    ann.close()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]

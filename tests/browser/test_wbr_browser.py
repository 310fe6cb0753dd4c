"""The WBR deck in a real browser: sign in, open a deck, see its charts and boxes (a gap shown as N/A), write the
owner's commentary through the htmx form and see it in place, and see it again after a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mechanisms.metrics.tests.test_decks_build import WEEK, deck  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_a_deck_see_the_charts_and_write_a_note(page, site, sign_in, deck):  # noqa: F811
    sign_in(page, "cat")
    page.goto(f"/wbr/checkout?week={WEEK.isoformat()}")
    expect(page.get_by_role("heading", name="Checkout WBR", level=1)).to_be_visible()
    expect(page.locator(".wbr-figure svg").first).to_be_visible()
    expect(page.locator(".wbr-figure svg")).to_have_count(3)
    expect(page.locator("#completeness")).to_be_visible()
    visits = page.locator(f"#metric-{deck.rows[1].metric_id}")
    expect(visits.locator("td", has_text="N/A").first).to_be_visible()

    visits.get_by_label("Write commentary").fill("The **Wednesday** file never arrived.")
    visits.get_by_role("button", name="Save commentary").click()
    note = page.locator(f"#note-{deck.rows[1].metric_id} .note-body")
    expect(note).to_be_visible()
    expect(note.locator("strong")).to_have_text("Wednesday")

    page.reload()
    expect(page.locator(f"#note-{deck.rows[1].metric_id} .note-body")).to_contain_text("never arrived")
    assert not [r for r in page.failed_responses if r[0] >= 500]

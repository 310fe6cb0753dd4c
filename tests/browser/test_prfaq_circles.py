"""A PR/FAQ from draft to circle 3 and shelved, in a real browser, each person in their own session (MECHANISMS.md
§6): bob writes it in the editor (the live preview and the checker follow his typing) and names its circles; it
cannot leave draft without its solution paragraph, which the page says, and a submit posted anyway is refused
naming it; he writes it and submits to circle 2. vp-retail, named in circle 3, gets a 404 before it reaches circle
3; cat, circle 2's reviewer, finds it waiting on her board and advances it; vp-retail reads it and shelves it (the
market is too small); the funnel counts it as shelved in circle 3."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARTS = {
    "customer": "Maria runs a bicycle repair shop with two employees; half her sales are repairs over 150 dollars.",
    "problem": "One customer in five leaves without the bicycle when the repair costs more than they planned.",
}
SOLUTION = "Maria ticks **one box** and her customers pay in four instalments at the counter."


@pytest.fixture
def person(browser, site, sign_in):
    """person("bob"): a browser tab of its own (own cookies), signed in as that person."""
    contexts = []

    def open_tab(handle: str):
        context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = context.new_page()
        sign_in(tab, handle)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def name_circle(tab, circle: int, reviewers: str, readers: str = "") -> None:
    tab.locator("#name-circle summary").click()
    form = tab.locator("#name-circle form")
    form.locator("[name=circle]").select_option(str(circle))
    form.locator("[name=reviewers]").fill(reviewers)
    form.locator("[name=readers]").fill(readers)
    form.get_by_role("button", name="Save the circle").click()
    tab.wait_for_load_state()


def test_a_prfaq_goes_from_draft_to_circle_three_and_is_shelved(person, small_org):
    bob = person("bob")
    # -- bob starts a PR/FAQ and writes it in the editor: the preview and the checker follow his typing. -------
    bob.goto("/prfaqs/new")
    bob.locator("#id_title").fill("Acme Pay Later")
    bob.locator("#id_team").select_option(label="Checkout")
    bob.get_by_role("button", name="Start writing").click()
    bob.wait_for_url(re.compile(r".*/prfaqs/\d+/edit$"))
    prfaq_url = bob.url.removesuffix("/edit")
    for part, text in PARTS.items():
        bob.locator(f"#prfaq-editor [name={part}]").fill(text)
    preview = bob.locator("#prfaq-preview")
    preview.get_by_text("One customer in five leaves").wait_for()  # htmx posted the typing, nothing saved yet
    missing = bob.locator("#checker [data-rule=missing_core_paragraph]")
    assert missing.count() == 1 and missing.get_attribute("data-part") == "solution"
    bob.get_by_role("button", name="Save revision").click()
    bob.wait_for_url(prfaq_url)

    # -- He names the circles; without the solution paragraph the PR/FAQ cannot leave draft. ----------------
    name_circle(bob, 2, "cat", "eve")
    name_circle(bob, 3, "vp-retail")
    name_circle(bob, 4, "ceo")
    assert "Rita Vance" in bob.locator("#circle-3").inner_text()
    assert bob.locator("#action-submit").count() == 0  # the page offers only what the service allows
    assert "The solution is missing" in bob.locator("#checker").inner_text()
    # A submit posted anyway (a page left open, a second tab) is refused, naming the missing paragraph.
    token = bob.locator("#name-circle input[name=csrfmiddlewaretoken]").input_value()
    version = bob.locator("#name-circle input[name=version]").input_value()
    refused = bob.request.post(
        f"{prfaq_url}/submit",
        form={"csrfmiddlewaretoken": token, "submit-version": version, "submit-note": ""},
        headers={"Referer": prfaq_url},
    )
    assert refused.status == 400 and "missing: solution" in refused.text()
    bob.reload()
    assert bob.locator("#state").inner_text().startswith("draft")

    # -- He writes the solution and submits to circle 2. ----------------------------------------------------------
    bob.goto(f"{prfaq_url}/edit")
    bob.locator("#prfaq-editor [name=solution]").fill(SOLUTION)
    preview.locator("strong", has_text="one box").wait_for()  # the preview renders the Markdown
    bob.locator("#checker-blocks").wait_for(state="detached")  # no error left: it may leave draft
    bob.get_by_role("button", name="Save revision").click()
    bob.wait_for_url(prfaq_url)
    bob.locator("#action-submit").get_by_role("button", name="Submit for review").click()
    bob.wait_for_url(prfaq_url)
    assert "circle 2" in bob.locator("#state").inner_text()

    # -- Circle 3 does not see it yet: a 404, as if it did not exist. --------------------------------------------
    vp = person("vp-retail")
    assert vp.goto(prfaq_url).status == 404
    vp.goto("/prfaqs/board")
    assert "Acme Pay Later" not in vp.locator("main").inner_text()

    # -- cat, circle 2's reviewer, finds it waiting on her and advances it. ---------------------------------------
    cat = person("cat")
    cat.goto("/")
    cat.locator("#home-prfaqs-waiting").get_by_role("link", name="Acme Pay Later").wait_for()
    cat.goto("/prfaqs/board")
    row = cat.locator("#circle-2 tr", has_text="Acme Pay Later")
    assert "waiting on you" in row.inner_text()
    row.get_by_role("link", name="Acme Pay Later").click()
    cat.wait_for_url(prfaq_url)
    assert "Maria ticks" in cat.locator("#document").inner_text()
    cat.locator("#action-advance").get_by_role("button", name="Advance").click()
    cat.wait_for_url(prfaq_url)
    assert "circle 3" in cat.locator("#state").inner_text()

    # -- vp-retail reads it now and shelves it: the market is too small. ------------------------------------------
    assert vp.goto(prfaq_url).status == 200
    assert "One customer in five" in vp.locator("#document").inner_text()
    vp.locator("#action-shelve summary").click()
    shelve = vp.locator("#action-shelve form")
    shelve.locator("[name=shelve-reason]").select_option(label="the market is too small")
    shelve.get_by_role("button", name="Shelve").click()
    vp.wait_for_url(prfaq_url)
    assert "the market is too small" in vp.locator("#shelved").inner_text()

    # -- The funnel counts it: reached circle 3, shelved there, for that reason. ----------------------------------
    vp.goto("/prfaqs/funnel")
    circle3 = vp.locator("#funnel-circle-3").inner_text()
    assert re.search(r"3: the org's leadership\s+1\s+0\s+0\s+1\b", circle3), circle3
    assert "the market is too small (1)" in circle3
    assert "Acme Pay Later" in vp.locator("#funnel-entries").inner_text()

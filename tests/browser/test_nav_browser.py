"""The header in a real browser: every area's entries fit a 1,360 px screen whatever the user's name (a long one
is cut with an ellipsis), and on a 390 px phone the menu folds behind "Menu" and opens without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import PASSWORD
from mechanisms.org import services as org_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The header names the viewer by their account's user name: 60 characters, with nowhere to break.
LONG_NAME = "maximiliana.theodora.wilhelmina.von.hohenzollern-sigmaringen"


@pytest.fixture
def long_named(small_org):
    assert len(LONG_NAME) == 60
    system = Actor.system("test")
    person = org_services.create_person(actor=system, handle="maxi", name="Maxi Hohenzollern", email="maxi@example.com")
    org_services.create_account(actor=system, username=LONG_NAME, password=PASSWORD, person_id=person.id)
    org_services.add_member(actor=system, team_id=small_org.teams["checkout"].id, person_id=person.id)
    return person


def _tab(browser, site, width: int, height: int):
    context = browser.new_context(base_url=site, viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _overflows(tab, selector: str) -> bool:
    """Is the element's content wider than its box (cut off, or scrolled sideways)?"""
    script = "(s) => { const e = document.querySelector(s); return e.scrollWidth > e.clientWidth; }"
    return tab.evaluate(script, selector)


def test_the_grouped_nav_fits_1360_px_with_a_60_character_user_name(browser, site, sign_in, long_named):
    context, tab = _tab(browser, site, 1360, 900)
    try:
        sign_in(tab, LONG_NAME)
        tab.goto("/teams")
        # Every area with entries is shown with its title, and its links are visible without opening anything.
        for area in ("Organization", "Catalog and mandate", "Collaboration", "Operations"):
            expect(tab.locator(".nav-area-title", has_text=area)).to_be_visible()
        for link in ("Teams", "People", "Org units", "Services", "Conway", "Waivers", "Away teams", "Search", "Inbox"):
            expect(tab.get_by_role("link", name=link, exact=True).first, link).to_be_visible()
        assert tab.locator(".site-menu-button").is_hidden()
        # Nothing is pushed past the right edge: neither the page nor the header scrolls sideways.
        assert tab.evaluate("document.documentElement.scrollWidth") <= 1360
        assert not _overflows(tab, ".site-bar")
        name = tab.locator(".actor-name")
        box = name.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1360
        # The name is cut with an ellipsis, and the whole of it is its title.
        assert _overflows(tab, ".actor-name")
        assert name.bounding_box()["width"] > 200  # cut, but still readable
        assert LONG_NAME in name.get_attribute("title")
        assert tab.evaluate("getComputedStyle(document.querySelector('.actor-name')).textOverflow") == "ellipsis"
        # The sign-out button stays on screen, beside the name.
        sign_out = tab.get_by_role("button", name="Sign out").bounding_box()
        assert sign_out is not None and sign_out["x"] + sign_out["width"] <= 1360
        # The whole header stays a header: at most three lines of text high.
        assert tab.locator(".site-header").bounding_box()["height"] < 160
        # The page marks where you are.
        assert tab.get_by_role("link", name="Teams", exact=True).get_attribute("aria-current") == "page"
    finally:
        context.close()


def test_on_a_phone_the_nav_folds_behind_menu_and_opens_without_javascript(browser, site, sign_in, long_named):
    context = browser.new_context(base_url=site, viewport={"width": 390, "height": 844}, java_script_enabled=False)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        tab.goto("/signin")
        tab.get_by_label("Username").fill(LONG_NAME)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url(lambda url: "/signin" not in url)
        menu = tab.locator(".site-menu-button")
        expect(menu).to_be_visible()
        assert tab.get_by_role("link", name="Teams", exact=True).is_hidden()
        assert not _overflows(tab, ".site-header")
        header_closed = tab.locator(".site-header").bounding_box()["height"]
        assert header_closed < 80  # folded: one line with the brand and the button
        menu.click()
        teams = tab.get_by_role("link", name="Teams", exact=True)
        expect(teams).to_be_visible()
        expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
        assert not _overflows(tab, ".site-header")  # open, it still fits the phone
        name = tab.locator(".actor-name").bounding_box()
        assert name["x"] + name["width"] <= 390
        teams.click()
        tab.wait_for_url("**/teams")
        expect(tab.get_by_role("heading", name="Teams").first).to_be_visible()
        assert tab.get_by_role("link", name="Teams", exact=True).is_hidden()  # folded again on the next page
    finally:
        context.close()

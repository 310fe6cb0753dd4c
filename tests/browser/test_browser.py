"""What a person sees in a real browser: sign in, go from a team to its service, edit a service as its owner, be
refused as a non-member, and the htmx enhancements (and the same forms without JavaScript)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import ServiceChanges
from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_lands_on_the_org_at_a_glance_with_styles_and_scripts_loaded(page, sign_in):
    loaded = {}
    page.on(
        "response", lambda r: loaded.__setitem__(r.url.split("/static/")[-1], r.status) if "/static/" in r.url else None
    )
    page.goto("/")
    assert "/signin" in page.url  # anonymous: sent to sign in first
    sign_in(page, "ann")
    expect(page.get_by_role("heading", name="The org at a glance")).to_be_visible()
    expect(page.get_by_text("signed in as")).to_be_visible()
    expect(page.get_by_role("link", name="Checkout").first).to_be_visible()
    assert loaded.get("vendor/pico/pico.min.css") == 200
    assert loaded.get("web/mech.css") == 200
    assert loaded.get("vendor/htmx/htmx.min.js") == 200
    assert page.failed_responses == []
    # The stylesheets apply (Pico's variables, our badge shape) and htmx runs.
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--pico-font-family')").strip()
    assert page.evaluate("getComputedStyle(document.querySelector('.badge')).borderTopLeftRadius") == "999px"
    assert page.evaluate("typeof window.htmx") == "object"


def test_a_wrong_password_keeps_you_on_the_sign_in_page(page):
    page.goto("/signin")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()


def test_from_a_team_page_to_one_of_its_services_by_clicking(page, sign_in):
    sign_in(page, "eve")
    page.get_by_role("link", name="Teams", exact=True).click()
    page.get_by_role("link", name="Checkout", exact=True).click()
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    expect(page.get_by_text("3 people — target 6, warning above 8")).to_be_visible()
    page.get_by_role("link", name="checkout-api").click()
    page.wait_for_url("**/services/checkout-api")
    expect(page.get_by_role("heading", name="checkout-api")).to_be_visible()
    assert page.locator("#owner-team").inner_text() == "Checkout"
    assert page.failed_responses == []


def test_a_member_of_the_owning_team_edits_a_service_and_sees_the_change(page, sign_in, small_org):
    sign_in(page, "bob")
    page.goto("/services/checkout-api")
    page.get_by_role("button", name="Edit service").click()
    page.get_by_label("Title").fill("Checkout API")
    page.get_by_label("Description").fill("Takes **orders** from the cart.")
    page.get_by_label("Tier").select_option("1")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/services/checkout-api")
    assert page.locator("p.lede").inner_text() == "Checkout API"
    assert page.locator(".markdown strong").first.inner_text() == "orders"
    expect(page.locator("#history").get_by_text("bob changed")).to_be_visible()
    assert (
        catalog_services.get_service(actor=Actor.system("test"), service_id=small_org.services["checkout-api"].id).tier
        == 1
    )


def test_a_stale_edit_is_refused_with_a_reload_hint(page, sign_in, small_org):
    sign_in(page, "bob")
    page.goto("/services/checkout-api/edit")
    service = small_org.services["checkout-api"]
    catalog_services.update_service(
        actor=small_org.actor("ann"),
        service_id=service.id,
        version=service.version,
        changes=ServiceChanges(title="Changed meanwhile"),
    )
    page.get_by_label("Title").fill("Mine")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Someone else changed this service while you were editing")).to_be_visible()
    page.get_by_role("button", name="Reload").click()
    assert page.get_by_label("Title").input_value() == "Changed meanwhile"


def test_a_non_member_is_refused_editing_another_teams_service(page, sign_in, small_org):
    sign_in(page, "eve")  # Payments, not Checkout
    page.goto("/services/checkout-api")
    assert page.get_by_role("button", name="Edit service").count() == 0
    response = page.goto("/services/checkout-api/edit")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You may not do this")).to_be_visible()
    expect(page.get_by_text("Only members of the owning team or an admin may change this service")).to_be_visible()
    assert (
        catalog_services.get_service(
            actor=Actor.system("test"), service_id=small_org.services["checkout-api"].id
        ).version
        == 1
    )


def test_a_member_is_added_and_removed_without_a_page_reload(page, sign_in, small_org):
    sign_in(page, "ann")
    page.goto("/teams/checkout")
    page.evaluate("window.stillThisPage = true")
    page.get_by_label("Add a member").fill("hal")
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator("#members").get_by_role("link", name="Hal Berg").wait_for()
    expect(page.get_by_text("4 people — target 6")).to_be_visible()
    expect(page.locator("#history").get_by_text("added a member: Hal Berg")).to_be_visible()
    page.get_by_label("Add a member").fill("zed")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_text("No person has the handle 'zed'").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Hal Berg").click()
    page.locator("#members").get_by_role("link", name="Hal Berg").wait_for(state="detached")
    assert page.evaluate("window.stillThisPage") is True  # htmx swapped parts; the page never reloaded
    assert len(org_services.team_members(actor=Actor.system("test"), team_id=small_org.teams["checkout"].id)) == 3


def test_search_as_you_type_on_the_team_list(page, sign_in):
    sign_in(page, "eve")
    page.goto("/teams")
    page.evaluate("window.stillThisPage = true")
    page.get_by_label("Text").fill("pay")
    page.wait_for_url(re.compile(r".*/teams\?q=pay.*"))
    results = page.locator("#results")
    results.get_by_role("link", name="Payments").wait_for()
    assert results.get_by_role("link", name="Checkout").count() == 0
    assert page.evaluate("window.stillThisPage") is True


def test_forms_work_without_javascript(browser, site, small_org):
    context = browser.new_context(base_url=site, java_script_enabled=False)
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("password123")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/teams/checkout")
    page.get_by_label("Add a member").fill("hal")
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_url("**/teams/checkout")
    expect(page.locator("#members").get_by_role("link", name="Hal Berg")).to_be_visible()
    page.goto("/teams?q=pay")
    expect(page.locator("#results").get_by_role("link", name="Payments")).to_be_visible()
    context.close()

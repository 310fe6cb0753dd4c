"""An away-team request walked from filing to its hand-off in a real browser, each person in their own session:
bob (Checkout) files on payments-api from the service page; eve (Payments, the home team) accepts naming herself
the point of contact; bob builds and asks for a review; eve approves; bob hands off with the checklist complete;
eve takes over maintenance, and the request is in its warranty with every step on its timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mechanisms.away_teams import services as away_services
from mechanisms.kernel.actor import Actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def person(browser, site, sign_in):
    """person("eve"): a browser tab of its own (own cookies), signed in as that person."""
    contexts = []

    def open_tab(handle: str):
        context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = context.new_page()
        tab.failed_responses = []
        tab.on("response", lambda r: tab.failed_responses.append((r.status, r.url)) if r.status >= 400 else None)
        sign_in(tab, handle)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def move(tab, url: str, action: str, button: str) -> None:
    """Open the request page and press a button of one of the moves it offers; wait for the page to come back."""
    tab.goto(url)
    tab.locator(f"#action-{action}").get_by_role("button", name=button, exact=True).click()
    tab.wait_for_url(url)


def test_a_request_walks_from_filing_to_its_warranty(person):
    bob = person("bob")
    bob.goto("/services/payments-api")
    bob.get_by_role("button", name="Request a change").click()
    bob.wait_for_url("**/services/payments-api/request-change")
    expect(bob.get_by_role("heading", name="Request a change in payments-api")).to_be_visible()
    assert bob.get_by_label("Requesting team").locator("option:checked").inner_text() == "Checkout"
    bob.get_by_label("Title").fill("Refunds by API")
    bob.get_by_label(re.compile(r"^What")).fill("An endpoint to **refund** an order.")
    bob.get_by_label(re.compile(r"^Why")).fill("Customers wait days for their money.")
    bob.get_by_label(re.compile(r"^Proposed design")).fill("A `POST /refunds` beside the captures.")
    bob.get_by_role("button", name="File the request").click()
    bob.wait_for_url(re.compile(r".*/away/requests/\d+$"))
    url = bob.url
    expect(bob.get_by_role("heading", name="Refunds by API")).to_be_visible()
    assert bob.locator("#state").inner_text() == "filed"
    assert "Waiting on Payments to answer since today" in bob.locator("#waiting").inner_text()
    assert bob.locator(".markdown strong").first.inner_text() == "refund"
    assert bob.locator("#actions summary").all_inner_texts() == ["Withdraw"]  # a way out, folded away

    eve = person("eve")
    eve.goto(url)
    accept = eve.locator("#action-accept")
    assert accept.get_by_label("Point of contact").locator("option:checked").inner_text() == "Eve Park (eve)"
    accept.get_by_label("Point of contact").select_option(label="Eve Park (eve)")
    accept.get_by_label(re.compile(r"^Engineering standards")).fill("Follow the payments style guide.")
    accept.get_by_role("button", name="Accept", exact=True).click()
    eve.wait_for_url(url)
    assert eve.locator("#state").inner_text() == "accepted"
    expect(eve.locator("#answer").get_by_role("link", name="Eve Park")).to_be_visible()
    assert "waiting on Checkout to start building" in eve.locator("#waiting").inner_text()

    move(bob, url, "start", "Start building")
    assert bob.locator("#state").inner_text() == "in progress"
    move(bob, url, "submit", "Submit for review")
    assert bob.locator("#state").inner_text() == "in review"
    assert "Waiting on Payments to review the change" in bob.locator("#waiting").inner_text()

    move(eve, url, "review", "Approve")
    assert "Review approved; waiting on Checkout to hand off" in eve.locator("#waiting").inner_text()

    bob.goto(url)
    hand_off = bob.locator("#action-hand_off")
    hand_off.get_by_label("Tests written and passing").check()
    hand_off.get_by_label("Documentation updated").check()
    hand_off.get_by_label("Runbook updated").check()
    hand_off.get_by_label(re.compile(r"^Downstream impact")).fill("Refunds in minutes for every storefront.")
    hand_off.get_by_role("button", name="Hand off", exact=True).click()
    bob.wait_for_url(url)
    assert bob.locator("#state").inner_text() == "handed off"

    move(eve, url, "accept_hand_off", "Accept the hand-off")
    assert eve.locator("#state").inner_text() == "warranty"
    expect(eve.locator("#warranty").get_by_text("Checkout stays on call for this change until")).to_be_visible()
    assert eve.locator("#checklist .done").count() == 4
    expect(eve.locator("#checklist").get_by_text("Refunds in minutes for every storefront.")).to_be_visible()
    steps = eve.locator("#timeline li").all_inner_texts()
    expected = [
        ("bob", "filed the request"),
        ("eve", "accepted: the requesting team builds it"),
        ("bob", "started building"),
        ("bob", "submitted for review"),
        ("eve", "approved the change"),
        ("bob", "handed off"),
        ("eve", "accepted the hand-off"),
    ]
    assert len(steps) == len(expected)
    for step, (who, what) in zip(steps, expected, strict=True):
        assert f"{who} {what}" in step
    assert "(handed off → warranty)" in steps[-1]
    expect(eve.get_by_text("Nothing for you to do on this request now")).to_be_visible()
    assert bob.failed_responses == [] and eve.failed_responses == []

    # What the pages showed is what was recorded.
    request_id = int(url.rsplit("/", 1)[1])
    assert away_services.get_request(actor=Actor.system("test"), request_id=request_id).state.value == "warranty"


def test_a_refused_move_is_shown_next_to_its_form_without_javascript(browser, site, small_org):
    away_services.file_request(
        actor=small_org.actor("bob"),
        service_id=small_org.services["payments-api"].id,
        requesting_team_id=small_org.teams["checkout"].id,
        title="Refunds by API",
        what="An endpoint to refund an order.",
        why="Customers wait days.",
    )
    context = browser.new_context(base_url=site, java_script_enabled=False)
    tab = context.new_page()
    tab.goto("/signin")
    tab.get_by_label("Username").fill("eve")
    tab.get_by_label("Password").fill("password123")
    tab.get_by_role("button", name="Sign in").click()
    tab.goto("/teams/payments/requests")
    tab.get_by_role("link", name="Refunds by API").click()
    decline = tab.locator("#action-decline")
    decline.get_by_label(re.compile(r"^Reason")).fill("   ")
    decline.get_by_role("button", name="Decline", exact=True).click()
    assert tab.locator("#action-decline .field-error").inner_text() == "This field is required."
    decline = tab.locator("#action-decline")
    decline.get_by_label(re.compile(r"^Reason")).fill("Not this quarter: we are migrating the ledger.")
    decline.get_by_role("button", name="Decline", exact=True).click()
    tab.wait_for_url(re.compile(r".*/away/requests/\d+$"))
    assert tab.locator("#state").inner_text() == "declined"
    expect(tab.locator("#declined").get_by_text("we are migrating the ledger")).to_be_visible()
    context.close()

"""An experiment in a real browser, from the plan to the decision: a team member writes the draft in the plan form
and starts it; units are exposed and events loaded through the services (as a service and the warehouse loader
would); the member stops it (the final analysis is taken where the data lives); the owner reads the results (the
recommendation, an interval bar, the exposures chart) and records the launch decision."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import expect

from mechanisms.experiments import services
from mechanisms.experiments.contracts import Exposure
from mechanisms.experiments.tests import helpers
from mechanisms.kernel import clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "bigger-buy-button"


def _expose_and_load(o) -> None:
    """600 units exposed; B converts three times as often as the control (a clear win at this size)."""
    bob = o.actor("bob")
    units = [f"shopper-{i}" for i in range(600)]
    arms = {a.unit_id: a.index for a in services.assign_units(actor=bob, keys=[KEY], unit_ids=units)}
    services.record_exposures(actor=bob, key=KEY, exposures=[Exposure(unit_id=u) for u in units])
    rng, at = random.Random(3), clock.now().isoformat()
    lines = ["metric,unit_id,ts,value"]
    lines += [f"{helpers.PRIMARY},{u},{at},1" for u in units if rng.random() < (0.1, 0.3)[arms[u]]]
    services.load_events_csv(actor=bob, content="\n".join(lines).encode(), file_name="events.csv")


def test_a_member_runs_an_experiment_and_the_owner_decides(browser, page, site, sign_in, small_org):
    helpers.metrics(small_org)
    sign_in(page, "cat")
    page.goto("/experiments/new")
    page.locator("#id_key").fill(KEY)
    page.locator("#id_name").fill("Bigger buy button")
    page.locator("#id_hypothesis").fill("A bigger buy button gets more shoppers to check out.")
    page.locator("#id_team").fill("checkout")
    page.locator("#id_owner").fill("bob")
    page.locator("#id_variations").fill("control | Control | 0.5\nb | B | 0.5")
    page.locator("#id_primary").select_option(helpers.PRIMARY)
    page.locator("#id_guardrails").fill("")
    page.locator("#id_baseline_mean").fill("0.1")
    page.locator("#id_mde").fill("0.5")
    page.locator("#id_planned_sample_size").fill("500")
    page.get_by_role("button", name="Save the draft experiment").click()
    page.wait_for_url(f"**/experiments/{KEY}")
    expect(page.locator("#state")).to_have_text("draft")

    page.locator("#action-start").get_by_role("button", name="Start").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "running")

    _expose_and_load(small_org)
    page.reload()
    stop = page.locator("#action-stop")
    stop.locator("textarea").fill("The planned sample size is reached.")
    stop.get_by_role("button", name="Stop").click()
    expect(page.locator("#state")).to_have_attribute("data-state", "stopped")
    expect(page.locator("#action-decide")).to_have_count(0)  # the decision is the owner's

    owner = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    try:
        tab = owner.new_page()
        tab.set_default_timeout(10_000)
        sign_in(tab, "bob")
        tab.goto(f"/experiments/{KEY}")
        expect(tab.locator("#recommendation")).to_be_visible()
        expect(tab.locator("#recommendation [data-decision]")).to_have_attribute("data-decision", "ship")
        expect(tab.locator('tr.comparison[data-variation="b"]')).to_have_attribute("data-tone", "win")
        expect(tab.locator("svg.ci-bar").first).to_be_visible()
        expect(tab.locator("#exposure-chart svg")).to_be_visible()
        decide = tab.locator("#action-decide")
        decide.locator("select").select_option("ship")
        decide.locator("input[type=text]").fill("b")
        decide.locator("textarea").fill("B tripled conversion with an interval clear of zero: ship it.")
        decide.get_by_role("button", name="Decide").click()
        expect(tab.locator("#state")).to_have_attribute("data-state", "decided")
        expect(tab.locator("#decision-made")).to_contain_text("Ship")
    finally:
        owner.close()
    view = services.get_experiment(actor=small_org.actor("bob"), key=KEY)
    assert (view.state.value, view.decision.value, view.decision_variation) == ("decided", "ship", "b")
    assert not [r for r in page.failed_responses if r[0] >= 500]

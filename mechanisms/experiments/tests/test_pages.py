"""The experiments pages for a reader, a team member, the owner and anonymous callers: the list and its filters,
the plan form (errors next to the field, the power calculation with and without htmx), a draft's edit, the
results page's moves by party, a move posted from the page, the glossary, the team panel and the search."""

from __future__ import annotations

import pytest

from mechanisms.experiments import services
from mechanisms.experiments.tests import helpers
from mechanisms.kernel.testing import field_error, page_text, signed_in

FORM = {
    "key": "free-shipping-banner",
    "name": "Free shipping banner",
    "hypothesis": "A banner saying shipping is free raises conversion.",
    "team": "checkout",
    "owner": "bob",
    "service": "checkout-api",
    "variations": "control | Control | 0.5\nbanner | Banner | 0.5",
    "primary": helpers.PRIMARY,
    "primary_statistic": "proportion",
    "guardrails": f"{helpers.GUARDRAIL} | mean | 0.05",
    "secondary": "",
    "engine": "frequentist",
    "difference": "relative",
    "correction": "holm",
    "alpha": "0.05",
    "power": "0.8",
    "mde": "0.05",
    "baseline_mean": "0.1",
    "planned_sample_size": "",
    "stop_rule": "sample_size",
    "sequential_tuning": "5000",
}


@pytest.fixture
def o(small_org):
    helpers.metrics(small_org)
    return small_org


def test_anonymous_callers_are_sent_to_sign_in(client, o):
    helpers.experiment(o)
    for url in ("/experiments", "/experiments/new", "/experiments/one-click-checkout", "/experiments/glossary"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"/signin?next={url}"


def test_a_reader_sees_the_list_filtered_and_the_results_page_without_moves(o):
    helpers.started(o)
    helpers.experiment(o, "quieter-emails", plan_=helpers.plan())
    eve = signed_in("eve")  # payments: not on the team
    text = page_text(eve.get("/experiments"))
    assert "One click checkout" in text and "Quieter emails" in text
    running = page_text(eve.get("/experiments?state=running"))
    assert "One click checkout" in running and "Quieter emails" not in running
    assert "No team has the slug 'nope'" in page_text(eve.get("/experiments?team=nope"))
    assert "Quieter emails" in page_text(eve.get("/experiments?q=quieter"))
    detail = eve.get("/experiments/one-click-checkout")
    assert detail.status_code == 200
    text = page_text(detail)
    assert "Nothing for you to do on this experiment now" in text
    assert helpers.PRIMARY in text and "Version 1" in text
    assert eve.get("/experiments/no-such-thing").status_code == 404


def test_a_team_member_writes_a_draft_and_the_planned_size_comes_from_the_power_calculation(o):
    cat = signed_in("cat")
    form = cat.get("/experiments/new")
    assert form.status_code == 200
    assert helpers.PRIMARY in form.content.decode() and helpers.OUTPUT not in form.content.decode()
    calculated = cat.post("/experiments/new", {**FORM, "calculate": "1"})
    assert calculated.status_code == 200 and 'id="planned-total"' in calculated.content.decode()
    assert services.find_experiment(actor=o.actor("cat"), key=FORM["key"]) is None  # calculating saves nothing
    response = cat.post("/experiments/new", FORM)
    assert response.status_code == 302 and response["Location"] == "/experiments/free-shipping-banner"
    view = services.get_experiment(actor=o.actor("cat"), key=FORM["key"])
    assert view.plan.planned_sample_size > 0 and [v.key for v in view.plan.variations] == ["control", "banner"]
    live = cat.post("/experiments/sample-size", FORM, HTTP_HX_REQUEST="true")
    assert live.status_code == 200 and 'id="planned-total"' in live.content.decode()
    assert "base.html" not in live.content.decode() and "<html" not in live.content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variations": "control | Control | 0.5\nbanner | Banner | 0.6"}, "variations"),  # weights sum to 1.1
        ({"variations": "control | Control | half"}, "variations"),
        ({"primary": helpers.OUTPUT}, "primary"),  # an output metric is not offered
        ({"team": "nope"}, "team"),
        ({"guardrails": "no_such_metric | mean | 0"}, "guardrails"),
    ],
)
def test_bad_plans_come_back_with_the_error_next_to_the_field_and_nothing_saved(o, change, field):
    response = signed_in("cat").post("/experiments/new", {**FORM, **change})
    assert response.status_code == 400
    assert field_error(response, f"id_{field}"), page_text(response)
    assert services.find_experiment(actor=o.actor("cat"), key=FORM["key"]) is None


def test_a_reader_outside_the_team_cannot_write_a_draft_for_it(o):
    response = signed_in("eve").post("/experiments/new", FORM)
    assert response.status_code in (400, 403)
    assert services.find_experiment(actor=o.actor("eve"), key=FORM["key"]) is None


def test_the_team_edits_a_draft_and_a_stale_version_is_a_conflict(o):
    view = helpers.experiment(o)
    bob = signed_in("bob")
    page = bob.get("/experiments/one-click-checkout/edit")
    assert page.status_code == 200
    data = {**FORM, "key": view.key, "name": "One click, renamed", "version": view.version}
    assert bob.post("/experiments/one-click-checkout/edit", data).status_code == 302
    assert services.get_experiment(actor=o.actor("bob"), key=view.key).name == "One click, renamed"
    stale = bob.post("/experiments/one-click-checkout/edit", {**data, "name": "Again"})
    assert stale.status_code == 409 and "Someone else changed this experiment" in page_text(stale)
    assert signed_in("eve").get("/experiments/one-click-checkout/edit").status_code == 403


def test_a_team_member_starts_the_draft_from_the_page_and_then_its_plan_is_frozen(o):
    view = helpers.experiment(o)
    cat = signed_in("cat")
    page = page_text(cat.get("/experiments/one-click-checkout"))
    assert "Start the experiment" in page
    response = cat.post("/experiments/one-click-checkout/start", {"start-version": view.version, "start-note": ""})
    assert response.status_code == 302
    assert services.get_experiment(actor=o.actor("cat"), key=view.key).state.value == "running"
    assert cat.get("/experiments/one-click-checkout/edit").status_code == 400
    stale = cat.post("/experiments/one-click-checkout/stop", {"stop-version": view.version, "stop-reason": "x"})
    assert stale.status_code == 409 and "Someone else changed this experiment" in page_text(stale)
    current = services.get_experiment(actor=o.actor("cat"), key=view.key).version
    outsider = signed_in("eve").post(
        "/experiments/one-click-checkout/stop", {"stop-version": current, "stop-reason": "x"}
    )
    assert outsider.status_code == 403
    assert services.get_experiment(actor=o.actor("cat"), key=view.key).state.value == "running"
    assert cat.post("/experiments/one-click-checkout/fly", {}).status_code == 404


def test_the_owner_is_offered_no_decision_before_the_stop(o):
    helpers.started(o)
    text = page_text(signed_in("bob").get("/experiments/one-click-checkout"))
    assert "Stop the experiment" in text and "Record the launch decision" not in text


def test_the_glossary_says_chance_to_win_is_not_one_minus_p(o):
    text = page_text(signed_in("eve").get("/experiments/glossary"))
    terms = (
        "Lift",
        "Confidence interval",
        "p-value",
        "Chance to win",
        "Risk",
        "SRM",
        "Peeking",
        "CUPED",
        "MDE",
        "Power",
    )
    assert all(term in text for term in terms)
    assert "not 1 − p" in text


def test_the_team_page_shows_its_experiments_and_the_search_finds_them(o):
    helpers.started(o)
    eve = signed_in("eve")
    assert "One click checkout" in page_text(eve.get("/teams/checkout"))
    found = page_text(eve.get("/search?q=abandoned"))  # words of the hypothesis
    assert "One click checkout" in found

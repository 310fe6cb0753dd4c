"""The demo's experiments (workflows/demo_experiments.py): three finished experiments on generated data, a winner
shipped, a flat one kept, one with SRM decided after a bar-raiser review; their pages show it (the SRM banner, the
significant lift, the exposures chart); planting twice changes nothing."""

from __future__ import annotations

import re

import pytest

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import ReviewState, SubjectKind
from mechanisms.experiments import services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import page_text
from mechanisms.workflows.demo import DEMO_PASSWORD, load_demo
from mechanisms.workflows.demo_experiments import plant_experiments

pytestmark = pytest.mark.django_db


def test_the_demo_has_three_finished_experiments_and_their_pages_say_what_happened(client):
    load_demo()
    system = Actor.system("test")
    found = {e.key: e for e in services.list_experiments(actor=system).items}
    assert set(found) == {"one-page-checkout", "cart-save-for-later", "search-autocomplete-v2"}
    assert {e.state.value for e in found.values()} == {"decided"}
    winner, flat, srm = found["one-page-checkout"], found["cart-save-for-later"], found["search-autocomplete-v2"]
    assert (winner.decision.value, winner.decision_variation) == ("ship", "b")
    assert flat.decision.value == "keep_control" and srm.decision.value == "keep_control"
    assert not winner.stopped_early and not flat.stopped_early

    final = {k: services.latest_snapshot(actor=system, key=k, final=True) for k in found}
    primary = final["one-page-checkout"].result.metrics[0]
    assert primary.name == "orders_placed" and primary.variations[0].significant and primary.variations[0].lift > 0
    assert not final["cart-save-for-later"].result.metrics[0].variations[0].significant
    assert final["search-autocomplete-v2"].srm_p < 0.001 < final["one-page-checkout"].srm_p
    assert len(services.cumulative_series(actor=system, key="one-page-checkout")) >= 3

    review = bar_raisers_services.review_for(actor=system, subject_kind=SubjectKind.EXPERIMENT, subject_id=srm.id)
    assert review is not None and review.state is ReviewState.ACCEPTED and review.recommendation is not None
    assert review.bar_raiser_id != srm.owner_id

    assert client.login(username="maya.chen", password=DEMO_PASSWORD)
    srm_page = client.get("/experiments/search-autocomplete-v2")
    assert srm_page.status_code == 200
    assert 'id="srm-banner"' in srm_page.content.decode() and "do not trust these results" in page_text(srm_page)
    assert 'id="review"' in srm_page.content.decode()
    winner_page = client.get("/experiments/one-page-checkout").content.decode()
    assert 'id="srm-banner"' not in winner_page
    row = re.search(r'<tr class="comparison" data-tone="(\w+)" data-variation="b"', winner_page)
    assert row is not None and row.group(1) == "win"
    assert 'class="exposure-chart"' in winner_page and 'class="cumulative-chart"' in winner_page
    listing = page_text(client.get("/experiments"))
    assert "One-page checkout" in listing and "Autocomplete v2 in search" in listing

    plant_experiments(system, password=DEMO_PASSWORD)  # a second planting adds nothing
    assert services.list_experiments(actor=system).total == 3

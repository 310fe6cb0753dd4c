"""The scorecard and Conway pages: who sees them and what they show."""

from __future__ import annotations

import pytest
from django.test import Client

from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import signed_in
from mechanisms.mandate import services as mandate_services

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(small_org):
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["ledger-db"].id,
    )
    mandate_services.evaluate_org(actor=SYSTEM)
    return small_org


def test_team_scorecard_page_shows_findings_and_history_to_the_chain(evaluated):
    response = signed_in("vp-retail").get("/teams/checkout/scorecard")
    assert response.status_code == 200
    body = response.content.decode()
    assert "mandate/back-door" in body and "<polyline" in body
    assert "/teams/checkout/scorecard" in signed_in("bob").get("/teams/checkout").content.decode()


def test_team_scorecard_page_is_refused_outside_the_chain(evaluated):
    assert signed_in("dan").get("/teams/checkout/scorecard").status_code == 403
    assert Client().get("/teams/checkout/scorecard").status_code == 302


def test_conway_page_draws_the_graph(evaluated):
    response = signed_in("eve").get("/conway")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "<line" in body and "checkout" in body
    assert 'href="/conway"' in body

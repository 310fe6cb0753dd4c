"""What the metrics app adds to the composite pages: the team page's metrics, decks and goals, and the home page's
decks of the viewer's teams, for the team's members and for anyone else signed in (a WBR is read across the org)."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.kernel import clock
from mechanisms.kernel.testing import page_text, signed_in
from mechanisms.metrics import services

from .helpers import define

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkout_metrics(small_org):
    bob = small_org.actor("bob")
    team = small_org.teams["checkout"].id
    orders = define(small_org, "orders_placed", title="Orders placed")
    deck = services.create_deck(actor=bob, slug="checkout-wbr", title="Checkout weekly review", team_id=team)
    services.set_deck_rows(actor=bob, deck_id=deck.id, version=deck.version, rows=[(orders.pk, "", "")])
    year = clock.today().year
    services.create_goal(
        actor=bob,
        team_id=team,
        year=year,
        title="Orders placed to 1,400 a week",
        metric_id=orders.pk,
        target=1400,
        start_date=dt.date(year, 1, 1),
        due_date=dt.date(year, 12, 31),
    )
    return small_org


@pytest.mark.parametrize("handle", ["bob", "gus"])
def test_the_team_page_shows_its_metrics_decks_and_goals_to_anyone_signed_in(checkout_metrics, handle):
    response = signed_in(handle).get("/teams/checkout")
    assert response.status_code == 200
    text = page_text(response)
    assert "Orders placed" in text  # the metrics the team owns
    assert "Checkout weekly review" in text  # its deck
    assert "Orders placed to 1,400 a week" in text  # its goal, with a status computed from the data
    assert "1 of 1 tied to input metrics" in text


def test_the_home_page_lists_the_decks_of_the_viewers_teams_only(checkout_metrics):
    assert "Checkout weekly review" in page_text(signed_in("bob").get("/"))
    assert "Checkout weekly review" not in page_text(signed_in("gus").get("/"))

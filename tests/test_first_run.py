"""What a new user meets first after `./scripts/start` (issue 9, item 7): the demo evaluated on load, every demo
leader and decider able to sign in, and the API reference served with no network."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from mechanisms.away_teams import services as away_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import page_text
from mechanisms.mandate import services as mandate_services
from mechanisms.org import services as org_services
from mechanisms.workflows.demo import DEMO_PASSWORD, load_demo

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo()


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD), username
    return client


def test_the_demo_is_evaluated_on_load_so_its_scorecards_show_the_planted_breaches(demo):
    assert mandate_services.last_evaluation(actor=SYSTEM) is not None
    recommendations = org_services.get_team_by_slug(slug="recommendations")
    card = mandate_services.team_scorecard(actor=SYSTEM, team_id=recommendations.id)
    assert "mandate/back-door" in card.by_rule
    page = page_text(signed_in("admin").get("/teams/recommendations/scorecard"))
    assert "mandate/back-door" in page
    assert "Not evaluated" not in page


def test_every_demo_team_leader_and_escalation_decider_signs_in_with_the_demo_password(demo):
    leaders = {t.leader_id for t in org_services.team_index() if t.leader_id is not None}
    deciders = {r.decider_id for r in away_services.list_requests(actor=SYSTEM).items if r.decider_id is not None}
    assert deciders, "the demo plants an escalated request"
    for person in org_services.get_people(ids=leaders | deciders).values():
        assert authenticate(username=person.handle, password=DEMO_PASSWORD) is not None, person.handle


def test_every_planted_request_can_be_moved_by_someone_who_signs_in(demo):
    """Each open demo request has a next step, and the person who holds it has an account."""
    page = away_services.list_requests(actor=SYSTEM, open_only=True)
    assert page.items
    for request in page.items:
        for team_id in (request.requesting_team_id, request.home_team_id):
            leader = org_services.get_team(team_id=team_id).leader_id
            assert leader is not None
            assert org_services.account_exists(username=org_services.get_person(person_id=leader).handle)
        if request.decider_id is not None:
            assert org_services.account_exists(username=org_services.get_person(person_id=request.decider_id).handle)


def test_the_api_reference_references_only_files_this_server_serves():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by this server (no network needed)"
        served = Client().get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])

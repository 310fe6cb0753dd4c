"""Who must act next on a request (MECHANISMS.md §3), as the away-team services say it, and who may ask for a
change of a service from its page."""

from __future__ import annotations

import pytest

from mechanisms.away_teams import services as away
from mechanisms.away_teams.contracts import Party
from mechanisms.catalog import services as catalog
from mechanisms.catalog.contracts import ServiceChanges
from mechanisms.kernel.actor import Actor

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def _file(o):
    return away.file_request(
        actor=o.actor("bob"),
        service_id=o.services["payments-api"].id,
        requesting_team_id=o.teams["checkout"].id,
        title="Refunds by API",
        what="An endpoint to refund an order.",
        why="Customers wait days.",
    )


def test_a_request_waits_on_the_home_team_then_the_builders_then_the_reviewers_then_the_builders(small_org):
    o = small_org
    r = _file(o)
    assert away.waiting_on(request=r) == away.waiting_on(request=r)  # pure: the same answer twice
    assert (away.waiting_on(request=r).party, away.waiting_on(request=r).to) == (Party.HOME, "answer")
    assert away.waiting_on(request=r).since == r.filed_at
    r = away.accept_request(
        actor=o.actor("dan"),
        request_id=r.id,
        version=r.version,
        contact_id=o.people["eve"].id,
        standards="Payments engineering standards v3",
        effort_days=1.5,
    )
    assert away.waiting_on(request=r).party is Party.REQUESTING
    r = away.start_building(actor=o.actor("cat"), request_id=r.id, version=r.version)
    r = away.submit_for_review(actor=o.actor("bob"), request_id=r.id, version=r.version)
    assert (away.waiting_on(request=r).party, away.waiting_on(request=r).to) == (Party.HOME, "review the change")
    r = away.review_request(actor=o.actor("eve"), request_id=r.id, version=r.version, approved=True, note="LGTM")
    # Approved: the next move is the requesting team's hand-off, not another review.
    assert (away.waiting_on(request=r).party, away.waiting_on(request=r).to) == (Party.REQUESTING, "hand off")


def test_a_withdrawn_request_waits_on_nobody(small_org):
    o = small_org
    r = _file(o)
    r = away.withdraw_request(actor=o.actor("bob"), request_id=r.id, version=r.version, reason="not needed")
    assert away.waiting_on(request=r).party is None


def test_a_change_is_requested_by_another_live_team_on_a_service_that_is_not_retired(small_org):
    o = small_org
    payments_api = catalog.get_service(actor=Actor.system("test"), service_id=o.services["payments-api"].id)
    assert away.can_request_change(actor=o.actor("bob"), service=payments_api)  # checkout's member
    assert not away.can_request_change(actor=o.actor("eve"), service=payments_api)  # the owner changes it itself
    assert not away.can_request_change(actor=o.actor("hal"), service=payments_api)  # in no team
    retired = catalog.update_service(
        actor=SYSTEM,
        service_id=payments_api.id,
        version=payments_api.version,
        changes=ServiceChanges(lifecycle="retired"),
    )
    assert not away.can_request_change(actor=o.actor("bob"), service=retired)

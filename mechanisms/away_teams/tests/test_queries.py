"""Query economy (issue 9 item 6): filing and every transition read each related record once and take at most
10 queries, notifications included (inbox and outbox written inline, as in every test)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from mechanisms.away_teams import services as away

pytestmark = pytest.mark.django_db
MAX = 10


def filed(o, max_queries, title="Refunds"):
    with max_queries(MAX):
        return away.file_request(
            actor=o.actor("bob"),
            service_id=o.services["payments-api"].id,
            requesting_team_id=o.teams["checkout"].id,
            title=title,
            what="An endpoint",
            why="Customers wait",
        )


def move(o, max_queries, r, handle, transition, **values):
    with max_queries(MAX):
        return away.apply_transition(
            actor=o.actor(handle), request_id=r.id, version=r.version, transition=transition, values=values
        )


def test_filing_and_every_transition_of_a_built_request_take_at_most_ten_queries(
    small_org, django_assert_max_num_queries
):
    o, q = small_org, django_assert_max_num_queries
    r = filed(o, q)
    r = move(o, q, r, "eve", "accept", contact_id=o.people["eve"].id, standards="Ours", effort_days=2.0)
    r = move(o, q, r, "bob", "start")
    r = move(o, q, r, "bob", "submit")
    r = move(o, q, r, "eve", "review", approved=False, note="Add idempotency keys")
    r = move(o, q, r, "bob", "submit", note="Done")
    r = move(o, q, r, "eve", "review", approved=True)
    r = move(o, q, r, "bob", "hand_off", tests=True, docs=True, runbook=True, downstream_impact="Faster refunds")
    r = move(o, q, r, "eve", "accept_hand_off")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=40)):
        r = move(o, q, r, "bob", "close")
    assert r.state == "closed"


def test_the_other_transitions_take_at_most_ten_queries_too(small_org, django_assert_max_num_queries):
    o, q = small_org, django_assert_max_num_queries
    home = filed(o, q, "Built at home")
    home = move(o, q, home, "eve", "build_at_home", effort_days=3.0)
    assert move(o, q, home, "dan", "complete").state == "closed"
    declined = move(o, q, filed(o, q, "Declined"), "eve", "decline", reason="No capacity")
    escalated = move(o, q, declined, "bob", "escalate", reason="Customers need it")
    decided = move(o, q, escalated, "vp-retail", "decide", decision="keep_roadmap", reason="Not now")
    duplicate = move(o, q, decided, "bob", "duplicate", duplicate_service_id=o.services["checkout-api"].id)
    assert duplicate.state == "duplicated"
    assert move(o, q, filed(o, q, "Withdrawn"), "bob", "withdraw", reason="Not needed").state == "withdrawn"

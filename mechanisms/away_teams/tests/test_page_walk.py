"""A request walked through the PAGES from filing to the end of its warranty (issue 9): at every step, for every
viewer, each move the page offers succeeds when its form is posted, and each move it does not offer is refused and
changes nothing. The page and the apply use the same declaration and the same checks, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import transaction

from mechanisms.away_teams import services as away
from mechanisms.away_teams.machines import MACHINE
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.machines import Kind
from mechanisms.kernel.testing import signed_in

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
VIEWERS = ("bob", "eve", "vp-retail", "gus")  # requesting, home, the deciding manager, no side
# The path to walk: (who, transition, verdict) from filing to closing after the warranty.
PATH = [
    ("eve", "accept", ""),
    ("bob", "start", ""),
    ("bob", "submit", ""),
    ("eve", "review", "changes"),
    ("bob", "submit", ""),
    ("dan", "review", "approve"),
    ("ann", "hand_off", ""),
    ("eve", "accept_hand_off", ""),
    ("bob", "close", ""),
]


def offered(page) -> set[str]:
    slugs = set(re.findall(r'action="/away/requests/\d+/([a-z-]+)"', page.content.decode()))
    return {slug.replace("-", "_") for slug in slugs}


def body(o, name: str, version: int, verdict: str = "approve") -> dict[str, str]:
    """A complete, plausible form for a move, as a person filling it in would post it."""
    t = MACHINE.transition(name)
    data = {f"{name}-version": str(version)}
    refs = {"person": o.people["eve"].id, "service": o.services["checkout-api"].id}
    for spec in t.inputs:
        key = f"{name}-{spec.name}"
        if spec.kind in (Kind.BOOL, Kind.TICK):
            data[key] = "on"
        elif spec.kind is Kind.TEXT:
            data[key] = "Because our customers need it."
        elif spec.kind is Kind.CHOICE:
            data[key] = spec.choices[0][0]
        elif spec.kind is Kind.REF:
            data[key] = str(refs[spec.ref])
        else:
            data[key] = "1"
    if t.buttons:
        data[f"{name}-verdict"] = verdict
    return data


def post(client, request_id: int, name: str, data):
    return client.post(f"/away/requests/{request_id}/{MACHINE.transition(name).slug}", data)


def check_every_viewer(o, clients, request_id: int) -> None:
    current = away.get_request(actor=SYSTEM, request_id=request_id)
    for handle in VIEWERS:
        client = clients[handle]
        page = client.get(f"/away/requests/{request_id}")
        assert page.status_code == 200
        moves = offered(page)
        for t in MACHINE.transitions:
            if t.name in moves:
                with transaction.atomic():  # try it, then undo it: every offered move must succeed
                    response = post(client, request_id, t.name, body(o, t.name, current.version))
                    assert response.status_code == 302, (handle, t.name, current.state, response.status_code)
                    transaction.set_rollback(True)
            else:
                response = post(client, request_id, t.name, body(o, t.name, current.version))
                assert response.status_code in (400, 403), (handle, t.name, current.state, response.status_code)
                after = away.get_request(actor=SYSTEM, request_id=request_id)
                assert (after.state, after.version) == (current.state, current.version)


def test_the_pages_offer_only_moves_that_succeed_from_filing_to_the_end_of_the_warranty(small_org):
    o = small_org
    clients = {h: signed_in(h) for h in {*VIEWERS, *(who for who, _, _ in PATH)}}
    filed = clients["bob"].post(
        "/services/payments-api/request-change",
        {
            "requesting_team": o.teams["checkout"].id,
            "title": "Refunds by API",
            "what": "An endpoint to refund an order.",
            "why": "Customers wait days for a refund.",
        },
    )
    assert filed.status_code == 302
    request_id = int(filed.url.rsplit("/", 1)[1])
    states = []
    for who, name, verdict in PATH:
        if name == "close":  # the warranty must be over before anyone may close
            check_every_viewer(o, clients, request_id)
            assert "close" not in offered(clients[who].get(f"/away/requests/{request_id}"))
            traveller = time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=40), tick=False)
            traveller.start()
            clients = {h: signed_in(h) for h in clients}  # sessions expire over 40 days: sign in again
        check_every_viewer(o, clients, request_id)
        current = away.get_request(actor=SYSTEM, request_id=request_id)
        assert name in offered(clients[who].get(f"/away/requests/{request_id}")), (who, name, current.state)
        response = post(clients[who], request_id, name, body(o, name, current.version, verdict))
        assert response.status_code == 302, (who, name, current.state)
        states.append(away.get_request(actor=SYSTEM, request_id=request_id).state.value)
    check_every_viewer(o, clients, request_id)
    traveller.stop()
    assert states == [
        "accepted",
        "in_progress",
        "in_review",
        "in_progress",
        "in_review",
        "approved",
        "handed_off",
        "warranty",
        "closed",
    ]
    view = away.request_view(actor=o.actor("bob"), request_id=request_id)
    assert [(e.from_state, e.to_state) for e in view.timeline if e.transition == "review"] == [
        ("in_review", "in_progress"),
        ("in_review", "approved"),
    ]

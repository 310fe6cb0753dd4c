"""The scorecard, org-unit, waiver and Conway pages: who sees them, what they show, and what their forms do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import field_error, page_text, signed_in
from mechanisms.mandate import services as mandate_services
from mechanisms.org import services as org_services
from mechanisms.org.contracts import OrgUnitChanges

from .waivers import approved_waiver

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
    assert "<svg" in body and "<path" in body and "checkout" in body
    assert 'href="/conway"' in body


# ---------------------------------------------------------------------------------------------- org-unit pages

FUTURE = dt.date.today() + dt.timedelta(days=90)
BACK_DOOR = {
    "rule": "mandate/back-door",
    "subject": "component:default/checkout-api",
    "related": "resource:default/ledger-db",
}


@pytest.fixture
def led(evaluated):
    """The small org with a leader on every org unit: acme ceo, retail vp-retail, platform vp-platform."""
    for unit, leader in (("acme", "ceo"), ("retail", "vp-retail"), ("platform", "vp-platform")):
        current = org_services.get_org_unit(actor=Actor.system("test"), org_unit_id=evaluated.units[unit].id)
        org_services.update_org_unit(
            actor=SYSTEM,
            org_unit_id=current.id,
            version=current.version,
            changes=OrgUnitChanges(leader_id=evaluated.people[leader].id),
        )
    return evaluated


@pytest.mark.parametrize(
    ("handle", "sees"),
    [
        ("admin", True),
        ("ceo", True),  # above the unit's leader
        ("vp-retail", True),  # the unit's leader
        ("vp-platform", False),  # leads a sibling unit
        ("ann", False),  # leads a team inside: sees her team's scorecard, not the unit's
        ("bob", False),
        ("dan", False),
        ("eve", False),
        ("hal", False),  # a bar raiser outside the chain
    ],
)
def test_org_unit_page_shows_its_scorecard_only_to_its_management_chain(led, handle, sees):
    response = signed_in(handle).get("/units/retail")
    assert response.status_code == 200
    text = page_text(response)
    assert "Retail" in text and "Rita Vance" in text  # the unit and its leader, for everyone
    body = response.content.decode()
    assert 'href="/units/acme"' in body and 'href="/teams/checkout"' in body and 'href="/teams/payments"' in body
    assert ("mandate/back-door" in text) is sees
    assert ("<polyline" in body) is sees
    assert ("visible to its leader, their management chain and admins" in text) is not sees


def test_org_unit_scorecard_rolls_up_the_units_below(led):
    body = signed_in("ceo").get("/units/acme").content.decode()
    assert 'href="/units/retail"' in body and 'href="/units/platform"' in body  # child units
    assert "mandate/back-door" in body and 'href="/teams/checkout/scorecard"' in body
    platform = page_text(signed_in("ceo").get("/units/platform"))
    assert "mandate/back-door" not in platform


def test_org_units_are_linked_and_listed(led):
    client = signed_in("bob")
    assert 'href="/units/retail"' in client.get("/").content.decode()
    assert 'href="/units/retail"' in client.get("/teams/checkout").content.decode()
    listing = client.get("/units")
    assert listing.status_code == 200
    assert {"Acme", "Retail", "Platform"} <= set(page_text(listing).split())
    assert "Platform" not in page_text(client.get("/units?q=ret"))
    assert client.get("/units/nope").status_code == 404
    assert Client().get("/units/retail").status_code == 302


# ---------------------------------------------------------------------------------------------- waivers


def _grant(small_org, *, requester="bob", subject=BACK_DOOR["subject"], related=BACK_DOOR["related"], expires=FUTURE):
    return approved_waiver(
        small_org,
        requester=requester,
        subject=subject,
        rule="mandate/back-door",
        related=related,
        reason="Moving to the ledger API by Q3.",
        expires=expires,
    )


def test_scorecard_links_each_open_finding_to_the_waiver_form(evaluated):
    body = signed_in("admin").get("/teams/checkout/scorecard").content.decode()
    assert "Request a waiver" in body
    assert "/waivers/new?rule=mandate%2Fback-door&amp;subject=component%3Adefault%2Fcheckout-api" in body
    assert "Request a waiver" in signed_in("ann").get("/teams/checkout/scorecard").content.decode()


def test_requesting_a_waiver_through_the_form_then_approving_it_on_its_review(evaluated):
    bob = signed_in("bob")
    form = bob.get("/waivers/new", {**BACK_DOOR, "team": "checkout"})
    assert form.status_code == 200
    body = form.content.decode()
    assert 'value="component:default/checkout-api"' in body
    assert '<option value="mandate/back-door" selected>' in body
    response = bob.post(
        "/waivers/new?team=checkout",
        {**BACK_DOOR, "reason": "Moving to the *ledger API* by Q3.", "expires": FUTURE.isoformat(), "approver": ""},
    )
    [waiver] = mandate_services.list_waivers(actor=SYSTEM).items
    assert waiver.state == "pending" and waiver.approver_handle == "hal" and waiver.granted_by == "bob"
    assert response.status_code == 302 and response["Location"] == f"/bar-raisers/reviews/{waiver.review_id}"
    assert "hal reviews it" in page_text(bob.get(response["Location"]))
    assert "component:default/checkout-api" in page_text(bob.get("/waivers?state=pending"))
    hal = signed_in("hal")
    recommended = hal.post(
        f"/bar-raisers/reviews/{waiver.review_id}/recommend",
        {
            "recommend-version": 1,
            "recommend-recommendation": "approve",
            "recommend-reasoning": "The migration plan is credible.",
        },
    )
    assert recommended.status_code == 302
    assert mandate_services.get_waiver(actor=SYSTEM, waiver_id=waiver.id).state == "pending"
    accepted = bob.post(f"/bar-raisers/reviews/{waiver.review_id}/accept", {"accept-version": 2, "accept-note": ""})
    assert accepted.status_code == 302
    assert mandate_services.get_waiver(actor=SYSTEM, waiver_id=waiver.id).state == "active"
    listing = bob.get("/waivers?state=active&team=checkout")
    assert "<em>ledger API</em>" in listing.content.decode()  # the reason through the Markdown renderer
    mandate_services.evaluate_org(actor=SYSTEM)
    card = page_text(signed_in("vp-retail").get("/teams/checkout/scorecard"))
    assert "waived mandate/back-door component:default/checkout-api → resource:default/ledger-db" in card
    assert f"waiver {waiver.id}" in card


@pytest.mark.parametrize(("approver", "message"), [("eve", "pool"), ("nobody", "no person has the handle")])
def test_a_bad_approver_is_shown_next_to_the_field_and_changes_nothing(evaluated, approver, message):
    data = {**BACK_DOOR, "reason": "Because.", "expires": FUTURE.isoformat(), "approver": approver}
    data["approver_reason"] = "she knows the ledger"
    response = signed_in("bob").post("/waivers/new", data)
    assert response.status_code == 400
    assert message in field_error(response, "id_approver").lower()
    assert mandate_services.list_waivers(actor=SYSTEM, state="all").total == 0


def test_an_approver_not_independent_of_the_team_is_refused_on_the_approver_field(evaluated):
    bar_raisers.add_to_pool(actor=SYSTEM, person_id=evaluated.people["cat"].id, trained_on=dt.date(2024, 1, 1))
    data = {**BACK_DOOR, "reason": "Because.", "expires": FUTURE.isoformat(), "approver": "cat"}
    data["approver_reason"] = "she knows the code"
    response = signed_in("bob").post("/waivers/new", data)  # cat is on checkout, the subject's team
    assert response.status_code == 400
    assert "checkout" in field_error(response, "id_approver")
    assert mandate_services.list_waivers(actor=SYSTEM, state="all").total == 0


def test_a_past_expiry_is_shown_next_to_its_field(evaluated):
    data = {**BACK_DOOR, "reason": "Because.", "expires": "2020-01-01", "approver": "hal"}
    response = signed_in("bob").post("/waivers/new", data)
    assert response.status_code == 400
    assert "in the future" in field_error(response, "id_expires")
    assert mandate_services.list_waivers(actor=SYSTEM, state="all").total == 0


def test_an_account_without_a_person_cannot_request_a_waiver(evaluated):
    response = signed_in("admin").get("/waivers/new", BACK_DOOR)
    assert response.status_code == 200
    text = page_text(response)
    assert "Request a waiver" in text and "person's account" in text
    assert 'class="edit-form"' not in response.content.decode()
    assert 'href="/waivers/new"' not in signed_in("admin").get("/waivers").content.decode()
    assert 'href="/waivers/new"' in signed_in("ann").get("/waivers").content.decode()
    data = {**BACK_DOOR, "reason": "Because.", "expires": FUTURE.isoformat(), "approver": "hal"}
    assert signed_in("admin").post("/waivers/new", data).status_code == 403


def test_revoking_a_waiver(evaluated):
    waiver = _grant(evaluated)
    assert "Revoke" not in page_text(signed_in("ann").get("/waivers"))
    assert "Revoke" in page_text(signed_in("hal").get("/waivers"))
    assert signed_in("ann").post(f"/waivers/{waiver.id}/revoke", {"reason": "no"}).status_code == 403
    assert signed_in("hal").get(f"/waivers/{waiver.id}/revoke").status_code == 405
    assert mandate_services.list_waivers(actor=SYSTEM).total == 1
    response = signed_in("hal").post(
        f"/waivers/{waiver.id}/revoke", {"reason": "the API is live", "next": "/waivers?team=checkout"}
    )
    assert response.status_code == 302 and response["Location"] == "/waivers?team=checkout"
    assert mandate_services.list_waivers(actor=SYSTEM).total == 0
    revoked = page_text(signed_in("ann").get("/waivers?state=revoked"))
    assert "revoked" in revoked and "component:default/checkout-api" in revoked
    changes = audit_services.list_changes(actor=SYSTEM, subject_type="waiver", subject_id=waiver.id)
    assert {(c.verb, c.reason) for c in changes.items} >= {("revoke", "the API is live")}
    offsite = signed_in("hal").post(f"/waivers/{waiver.id}/revoke", {"next": "https://evil.test/"})
    assert offsite["Location"] == "/waivers"
    assert signed_in("hal").post("/waivers/999999/revoke").status_code == 404


def test_waiver_list_filters_by_state_and_team(evaluated, monkeypatch):
    soon = dt.date.today() + dt.timedelta(days=1)
    active = _grant(evaluated)
    expiring = _grant(evaluated, requester="gus", subject="component:default/identity-api", related=None, expires=soon)
    revoked = _grant(evaluated, requester="eve", subject="component:default/payments-api", related=None)
    mandate_services.revoke_waiver(actor=SYSTEM, waiver_id=revoked.id)
    monkeypatch.setattr("mechanisms.kernel.clock.today", lambda: soon + dt.timedelta(days=1))
    client = signed_in("eve")

    def shown(query: str) -> set[str]:
        text = page_text(client.get(f"/waivers{query}"))
        return {s for s in ("checkout-api", "identity-api", "payments-api") if f"component:default/{s}" in text}

    assert shown("") == {"checkout-api"} == shown("?state=bogus")  # active by default; a bad filter is ignored
    assert shown("?state=expired") == {"identity-api"}
    assert shown("?state=revoked") == {"payments-api"}
    assert shown("?state=all") == {"checkout-api", "identity-api", "payments-api"}
    assert shown("?state=all&team=identity") == {"identity-api"}
    assert shown("?state=all&team=checkout") == {"checkout-api"}
    assert "No team has the slug" in page_text(client.get("/waivers?team=nope"))
    assert "expired" in page_text(client.get("/waivers?state=expired"))
    assert active.id != expiring.id
    assert 'href="/waivers"' in client.get("/").content.decode()  # in the navigation

"""The pages of Away Teams and the team lifecycle: filing from a service page, the team board, a request page that
offers each viewer exactly the moves they may make, the errors of those moves in place, escalations, the reports,
and forming, transferring and dissolving teams."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from mechanisms.away_teams import services as away
from mechanisms.catalog import services as catalog
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import field_error, page_text, signed_in
from mechanisms.org import services as org

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def file(o, *, by="bob", team="checkout", service="payments-api", title="Refunds by API"):
    return away.file_request(
        actor=o.actor(by),
        service_id=o.services[service].id,
        requesting_team_id=o.teams[team].id,
        title=title,
        what="An endpoint to refund an order.",
        why="Customers wait days for a refund.",
    )


def offered(response) -> set[str]:
    """The moves a request page offers: the actions its forms post to."""
    return set(re.findall(r'action="/away/requests/\d+/([a-z-]+)"', response.content.decode()))


def typed(body: str, name: str) -> str:
    """The value already in one text input of a page ('' when empty)."""
    tag = re.search(rf'<input type="text" name="{name}"[^>]*>', body).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else ""


def suggested(body: str, name: str) -> list[str]:
    """The values suggested in one input's datalist."""
    block = re.search(rf'<datalist id="{name}_options">.*?</datalist>', body, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', block)


def state_of(request_id: int) -> str:
    return away.get_request(actor=SYSTEM, request_id=request_id).state.value


def in_review_approved(o):
    """A request accepted by payments, built by checkout and approved in review: ready to hand off."""
    r = file(o)
    r = away.accept_request(
        actor=o.actor("eve"), request_id=r.id, version=r.version, contact_id=o.people["eve"].id, standards="Ours."
    )
    r = away.start_building(actor=o.actor("bob"), request_id=r.id, version=r.version)
    r = away.submit_for_review(actor=o.actor("bob"), request_id=r.id, version=r.version)
    return away.review_request(actor=o.actor("eve"), request_id=r.id, version=r.version, approved=True)


# ---------------------------------------------------------------------------------------------- filing


def test_a_member_of_another_team_files_a_request_from_the_service_page(small_org):
    bob = signed_in("bob")
    service_page = bob.get("/services/payments-api")
    assert "/services/payments-api/request-change" in service_page.content.decode()
    form = bob.get("/services/payments-api/request-change")
    assert form.status_code == 200
    assert re.search(rf'<option value="{small_org.teams["checkout"].id}"[^>]*>Checkout</option>', form.content.decode())
    assert ">Payments</option>" not in form.content.decode()  # never the owner of the service
    response = bob.post(
        "/services/payments-api/request-change",
        {
            "requesting_team": small_org.teams["checkout"].id,
            "title": "Refunds by API",
            "what": "An endpoint to **refund** an order.",
            "why": "Customers wait days.",
            "design": "",
        },
    )
    assert response.status_code == 302
    filed = away.list_requests(actor=SYSTEM).items
    assert len(filed) == 1 and filed[0].state.value == "filed" and filed[0].home_team_slug == "payments"
    assert response.url == f"/away/requests/{filed[0].id}"
    page = bob.get(response.url)
    assert "<strong>refund</strong>" in page.content.decode()
    assert "Waiting on Payments to answer since today" in page_text(page)


def test_filing_with_a_missing_field_shows_the_error_next_to_it(small_org):
    response = signed_in("bob").post(
        "/services/payments-api/request-change",
        {"requesting_team": small_org.teams["checkout"].id, "title": "Refunds", "what": "An endpoint.", "why": " "},
    )
    assert response.status_code == 400
    assert field_error(response, "id_why") == "This field is required."
    assert away.list_requests(actor=SYSTEM).total == 0


def test_the_owning_team_sees_no_request_button_and_may_not_file_on_its_own_service(small_org):
    eve = signed_in("eve")
    assert "request-change" not in eve.get("/services/payments-api").content.decode()
    assert eve.get("/services/payments-api/request-change").status_code == 403
    assert Client().get("/services/payments-api/request-change").status_code == 302  # sign in first


def test_user_text_is_rendered_through_markdown_never_as_raw_html(small_org):
    r = away.file_request(
        actor=small_org.actor("bob"),
        service_id=small_org.services["payments-api"].id,
        requesting_team_id=small_org.teams["checkout"].id,
        title="<b>bold</b>",
        what="<script>alert(1)</script>",
        why="why",
    )
    body = signed_in("eve").get(f"/away/requests/{r.id}").content.decode()
    assert "<script>alert(1)</script>" not in body and "<b>bold</b>" not in body
    assert "&lt;script&gt;" in body


# ---------------------------------------------------------------------------------------------- the team board


def test_the_board_lists_inbound_and_outbound_requests_and_highlights_overdue_answers(small_org):
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now - dt.timedelta(days=12)):
        late = file(small_org, title="Refunds by API")
    fresh = file(small_org, title="Partial captures")
    response = signed_in("dan").get("/teams/payments/requests")
    assert response.status_code == 200
    body = response.content.decode()
    text = page_text(response)
    assert "Refunds by API" in text and "Partial captures" in text
    assert re.search(rf'<tr class="away-request overdue" id="request-{late.id}"', body)
    assert re.search(rf'<tr class="away-request" id="request-{fresh.id}"', body)
    assert "waiting on Payments to answer since 12 days; overdue: the answer was due" in text
    assert "1 answer overdue" in text
    assert "No outbound requests" in text
    # The requesting team sees the same requests as outbound.
    outbound = page_text(signed_in("bob").get("/teams/checkout/requests"))
    assert "No inbound requests" in outbound and "Refunds by API" in outbound
    # And the team page links its board.
    assert "/teams/payments/requests" in signed_in("dan").get("/teams/payments").content.decode()


def test_the_board_shows_the_median_time_to_answer_and_pages_its_lists(small_org):
    for i in range(27):
        file(small_org, title=f"Change {i:02d}")
    r = file(small_org, title="Answered")
    away.decline_request(actor=small_org.actor("eve"), request_id=r.id, version=r.version, reason="Not now.")
    response = signed_in("dan").get("/teams/payments/requests")
    text = page_text(response)
    assert "median time to answer" in text and "0 days" in text
    assert "Showing 1–25 of 28" in text
    second = signed_in("dan").get("/teams/payments/requests?in_offset=25")
    assert "Showing 26–28 of 28" in page_text(second)
    only_declined = page_text(signed_in("dan").get("/teams/payments/requests?state=declined"))
    assert "Answered" in only_declined and "Change 01" not in only_declined


# ---------------------------------------------------------------------------------------------- a request's page


def test_the_request_page_offers_each_viewer_exactly_their_moves(small_org):
    r = file(small_org)
    assert offered(signed_in("eve").get(f"/away/requests/{r.id}")) == {"accept", "build-at-home", "decline"}
    assert offered(signed_in("dan").get(f"/away/requests/{r.id}")) == {"accept", "build-at-home", "decline"}
    assert offered(signed_in("bob").get(f"/away/requests/{r.id}")) == {"withdraw"}
    outsider = signed_in("fay").get(f"/away/requests/{r.id}")
    assert outsider.status_code == 200
    assert offered(outsider) == set()
    assert "Nothing for you to do on this request now" in page_text(outsider)


def test_the_home_team_accepts_naming_its_contact_and_standards(small_org):
    r = file(small_org)
    eve = signed_in("eve")
    page = eve.get(f"/away/requests/{r.id}")
    assert re.search(
        rf'<option value="{small_org.people["eve"].id}" selected>Eve Park \(eve\)</option>', page.content.decode()
    )
    response = eve.post(
        f"/away/requests/{r.id}/accept",
        {
            "accept-version": r.version,
            "accept-contact_id": small_org.people["eve"].id,
            "accept-standards": "Follow the **payments** style guide.",
            "accept-effort_days": "2",
        },
    )
    assert response.status_code == 302 and response.url == f"/away/requests/{r.id}"
    assert state_of(r.id) == "accepted"
    text = page_text(eve.get(response.url))
    assert "Point of contact Eve Park" in text and "payments style guide" in text
    assert "waiting on Checkout to start building" in text
    assert offered(signed_in("bob").get(f"/away/requests/{r.id}")) == {"start", "escalate", "duplicate", "withdraw"}


def test_a_refused_input_is_shown_next_to_its_field(small_org):
    r = file(small_org)
    response = signed_in("eve").post(
        f"/away/requests/{r.id}/accept",
        {"accept-version": r.version, "accept-contact_id": small_org.people["bob"].id, "accept-standards": "Ours."},
    )
    assert response.status_code == 400
    assert field_error(response, "id_accept-contact_id") == "The point of contact must be a member of the home team"
    assert state_of(r.id) == "filed"


def test_a_move_by_the_wrong_person_is_refused_with_403_and_changes_nothing(small_org):
    r = file(small_org)
    data = {
        "accept-version": r.version,
        "accept-contact_id": small_org.people["eve"].id,
        "accept-standards": "Ours.",
    }
    response = signed_in("bob").post(f"/away/requests/{r.id}/accept", data)
    assert response.status_code == 403
    assert "Only a member of the home team may accept this request" in page_text(response)
    after = away.get_request(actor=SYSTEM, request_id=r.id)
    assert (after.state.value, after.version) == ("filed", r.version)
    assert (
        signed_in("fay")
        .post(f"/away/requests/{r.id}/withdraw", {"withdraw-version": 1, "withdraw-reason": "x"})
        .status_code
        == 403
    )
    assert state_of(r.id) == "filed"


def test_a_stale_version_is_refused_with_409_and_says_what_happened(small_org):
    r = file(small_org)
    eve = signed_in("eve")
    eve.get(f"/away/requests/{r.id}")  # eve reads version 1 ...
    away.decline_request(actor=small_org.actor("dan"), request_id=r.id, version=r.version, reason="Not this quarter.")
    response = eve.post(  # ... and accepts what dan has declined meanwhile
        f"/away/requests/{r.id}/accept",
        {"accept-version": r.version, "accept-contact_id": small_org.people["eve"].id, "accept-standards": "Ours."},
    )
    assert response.status_code == 409
    text = page_text(response)
    assert "Someone else moved this request while you were looking at it (it is now declined)" in text
    assert "Reload" in text
    assert state_of(r.id) == "declined"


def test_an_unknown_move_is_404_and_a_move_is_a_post(small_org):
    r = file(small_org)
    assert signed_in("eve").post(f"/away/requests/{r.id}/approve-everything", {}).status_code == 404
    assert signed_in("eve").get(f"/away/requests/{r.id}/accept").status_code == 405
    assert signed_in("eve").get("/away/requests/99999").status_code == 404


def test_the_hand_off_with_an_incomplete_checklist_lists_what_is_missing(small_org):
    r = in_review_approved(small_org)
    bob = signed_in("bob")
    assert "hand-off" in offered(bob.get(f"/away/requests/{r.id}"))
    response = bob.post(
        f"/away/requests/{r.id}/hand-off",
        {"hand_off-version": r.version, "hand_off-tests": "on", "hand_off-downstream_impact": "Faster refunds."},
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "The hand-off checklist is incomplete: documentation updated; runbook updated" in text
    assert state_of(r.id) == "approved"
    done = bob.post(
        f"/away/requests/{r.id}/hand-off",
        {
            "hand_off-version": r.version,
            "hand_off-tests": "on",
            "hand_off-docs": "on",
            "hand_off-runbook": "on",
            "hand_off-downstream_impact": "Faster refunds.",
        },
    )
    assert done.status_code == 302 and state_of(r.id) == "handed_off"


def test_the_review_verdict_is_the_button_pressed(small_org):
    r = file(small_org)
    r = away.accept_request(
        actor=small_org.actor("eve"),
        request_id=r.id,
        version=r.version,
        contact_id=small_org.people["eve"].id,
        standards="Ours.",
    )
    r = away.start_building(actor=small_org.actor("bob"), request_id=r.id, version=r.version)
    r = away.submit_for_review(actor=small_org.actor("bob"), request_id=r.id, version=r.version)
    eve = signed_in("eve")
    refused = eve.post(f"/away/requests/{r.id}/review", {"review-version": r.version, "review-verdict": "changes"})
    assert refused.status_code == 400
    assert field_error(refused, "id_review-note") == "Say what has to change when you request changes"
    response = eve.post(
        f"/away/requests/{r.id}/review",
        {"review-version": r.version, "review-verdict": "changes", "review-note": "Add a test for partial refunds."},
    )
    assert response.status_code == 302 and state_of(r.id) == "in_progress"
    text = page_text(eve.get(f"/away/requests/{r.id}"))
    assert "eve requested changes (in review → in progress)" in text and "Add a test for partial refunds." in text


# ---------------------------------------------------------------------------------------------- escalations


def test_an_escalation_waits_on_the_lowest_common_manager_only(small_org):
    o = small_org
    r = file(o)
    r = away.decline_request(actor=o.actor("dan"), request_id=r.id, version=r.version, reason="Not this quarter.")
    r = away.escalate_request(actor=o.actor("bob"), request_id=r.id, version=r.version, reason="Customers churn.")
    vp = signed_in("vp-retail")
    listed = vp.get("/away/escalations")
    assert listed.status_code == 200 and f"/away/requests/{r.id}" in listed.content.decode()
    for handle in ("ceo", "dan", "ann", "vp-platform"):
        page = signed_in(handle).get("/away/escalations")
        assert f"/away/requests/{r.id}" not in page.content.decode()
        assert "No escalation waits on your decision" in page_text(page)
    detail = vp.get(f"/away/requests/{r.id}")
    assert offered(detail) == {"decide"}
    assert "Decided by Rita Vance" in page_text(detail)
    response = vp.post(
        f"/away/requests/{r.id}/decide",
        {"decide-version": r.version, "decide-decision": "reshuffle", "decide-reason": "Churn costs more."},
    )
    assert response.status_code == 302 and state_of(r.id) == "home_builds"
    assert "/away/requests/" not in vp.get("/away/escalations").content.decode()


# ---------------------------------------------------------------------------------------------- lists and reports


def test_every_request_with_filters_and_the_reports(small_org):
    o = small_org
    a = file(o, title="Refunds by API")
    away.accept_request(
        actor=o.actor("eve"),
        request_id=a.id,
        version=a.version,
        contact_id=o.people["eve"].id,
        standards="Ours.",
        effort_days=3,
    )
    file(o, title="Login with passkeys", service="identity-api")
    eve = signed_in("eve")
    everything = page_text(eve.get("/away"))
    assert "Refunds by API" in everything and "Login with passkeys" in everything
    accepted = page_text(eve.get("/away?state=accepted"))
    assert "Refunds by API" in accepted and "Login with passkeys" not in accepted
    on_identity = page_text(eve.get("/away?team=identity&direction=inbound"))
    assert "Login with passkeys" in on_identity and "Refunds by API" not in on_identity
    assert "No requests match these filters" in page_text(eve.get("/away?overdue=1"))
    assert "No team has the slug “nope”" in page_text(eve.get("/away?team=nope"))
    assert eve.get("/away?state=bogus&offset=x").status_code == 200  # a bad filter is ignored, not a 500
    tax = eve.get("/away/tax")
    assert tax.status_code == 200
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"num\">(\d+)</td>\s*<td><a [^>]*>(\w+)</a>", tax.content.decode())
    assert rows[:2] == [("1", "Payments"), ("2", "Identity")]
    assert eve.get("/away/credit").status_code == 200
    assert 'href="/away"' in eve.get("/").content.decode()  # in the navigation


# ---------------------------------------------------------------------------------------------- team lifecycle


def test_dissolving_refuses_an_incomplete_plan_listing_what_is_unmapped_then_succeeds(small_org):
    o = small_org
    inbound = file(o, title="Refunds by API")  # checkout asks payments
    outbound = file(o, by="eve", team="payments", service="identity-api", title="Tokens for payouts")
    payments = o.teams["payments"]
    assert signed_in("dan").get("/teams/payments/dissolve").status_code == 403
    admin = signed_in("admin")
    page = admin.get("/teams/payments/dissolve")
    assert page.status_code == 200
    text = page_text(page)
    assert "payments-api" in text and "Refunds by API" in text and "Tokens for payouts" in text
    # Nothing is pre-selected for the service; the request on it goes with it.
    body = page.content.decode()
    assert typed(body, f"service_{o.services['payments-api'].id}") == ""
    assert typed(body, f"request_{inbound.id}") == "follow"
    assert typed(body, f"request_{outbound.id}") == ""
    # Suggested: the keywords the item allows, then the other teams of the org unit, by slug.
    assert suggested(body, f"service_{o.services['payments-api'].id}")[0] == "retire"
    assert suggested(body, f"request_{inbound.id}") == ["follow", "close"]
    assert "payments" not in suggested(body, f"service_{o.services['payments-api'].id}")

    unknown = admin.post(
        "/teams/payments/dissolve",
        {"version": payments.version, "reason": "Merged.", f"service_{o.services['payments-api'].id}": "nowhere"},
    )
    assert unknown.status_code == 400
    assert "no team with the slug" in field_error(unknown, f"id_service_{o.services['payments-api'].id}")

    incomplete = admin.post(
        "/teams/payments/dissolve",
        {"version": payments.version, "reason": "Merged into checkout.", f"request_{inbound.id}": "follow"},
    )
    assert incomplete.status_code == 400
    text = page_text(incomplete)
    assert "Still unmapped: nothing has changed." in text
    assert "service payments-api: no new owner and not retired" in text
    assert f"request #{outbound.id} Tokens for payouts: not re-routed and not closed" in text
    assert f"request #{inbound.id} Refunds by API: goes with payments-api, which has no new owner" in text
    assert "The plan would orphan 1 service(s) and 2 open request(s)" in text
    assert field_error(incomplete, f"id_service_{o.services['payments-api'].id}") == "No new owner and not retired"
    assert org.get_team(actor=Actor.system("test"), team_id=payments.id).status.value == "active"
    assert (
        catalog.get_service(actor=Actor.system("test"), service_id=o.services["payments-api"].id).owner_team_id
        == payments.id
    )

    done = admin.post(
        "/teams/payments/dissolve",
        {
            "version": payments.version,
            "reason": "Merged into identity.",
            f"service_{o.services['payments-api'].id}": "identity",
            f"request_{inbound.id}": "follow",
            f"request_{outbound.id}": "close",
        },
    )
    assert done.status_code == 302 and done.url == "/teams/payments"
    assert org.get_team(actor=Actor.system("test"), team_id=payments.id).status.value == "dissolved"
    assert (
        catalog.get_service(actor=Actor.system("test"), service_id=o.services["payments-api"].id).owner_team_id
        == o.teams["identity"].id
    )
    assert away.get_request(actor=SYSTEM, request_id=inbound.id).home_team_slug == "identity"
    assert state_of(outbound.id) == "closed"
    assert "Payments is dissolved: 1 service(s) transferred" in page_text(admin.get(done.url))


def test_forming_a_team_needs_a_charter(small_org):
    admin = signed_in("admin")
    assert admin.get("/teams/form").status_code == 200
    data = {
        "name": "Refunds",
        "slug": "refunds",
        "org_unit": small_org.units["retail"].id,
        "charter": "Refunds.",
        "leader": "cat",
        "members": "cat, bob",
    }
    short = admin.post("/teams/form", data)
    assert short.status_code == 400
    assert "write the charter" in field_error(short, "id_charter")
    assert org.find_team(actor=Actor.system("test"), slug="refunds") is None
    unknown = admin.post("/teams/form", {**data, "members": "cat zed"})
    assert field_error(unknown, "id_members") == "No person has the handle 'zed'"
    data["charter"] = "Customers wait a week for refunds; make it a minute."
    formed = admin.post("/teams/form", data)
    assert formed.status_code == 302 and formed.url == "/teams/refunds"
    team = org.find_team(actor=Actor.system("test"), slug="refunds")
    assert team.status.value == "forming" and team.member_count == 2
    refused = signed_in("bob").post("/teams/form", {**data, "slug": "refunds-2"})
    assert refused.status_code == 403
    assert "only an admin or a leader of this org unit may create teams" in field_error(refused, "id_org_unit").lower()


def test_a_service_is_transferred_from_its_page_with_its_open_requests(small_org):
    o = small_org
    r = file(o)
    assert signed_in("bob").get("/services/payments-api/transfer").status_code == 403
    dan = signed_in("dan")
    assert "/services/payments-api/transfer" in dan.get("/services/payments-api").content.decode()
    form = dan.get("/services/payments-api/transfer")
    assert form.status_code == 200 and 'name="to_team"' in form.content.decode()
    service = o.services["payments-api"]
    unknown = dan.post("/services/payments-api/transfer", {"to_team": "no-such-team", "version": service.version})
    assert unknown.status_code == 400 and "no team with the slug" in field_error(unknown, "id_to_team")
    own = dan.post("/services/payments-api/transfer", {"to_team": "payments", "version": service.version})
    assert own.status_code == 400 and field_error(own, "id_to_team")
    response = dan.post(
        "/services/payments-api/transfer",
        {"to_team": "Identity", "reason": "Identity owns money movement now.", "version": service.version},
    )
    assert response.status_code == 302 and response.url == "/services/payments-api"
    assert (
        catalog.get_service(actor=Actor.system("test"), service_id=service.id).owner_team_id == o.teams["identity"].id
    )
    assert away.get_request(actor=SYSTEM, request_id=r.id).home_team_slug == "identity"
    stale = signed_in("fay").post(
        "/services/payments-api/transfer",
        {"to_team": "checkout", "version": service.version},
    )
    assert stale.status_code == 409
    assert "Someone else changed this service while you were editing" in page_text(stale)


def test_the_home_page_shows_a_manager_the_escalations_waiting_on_them_and_nobody_else(small_org):
    from mechanisms.away_teams import services as away_services
    from mechanisms.kernel.testing import signed_in

    o = small_org
    r = away_services.file_request(
        actor=o.actor("bob"),
        service_id=o.services["payments-api"].id,
        requesting_team_id=o.teams["checkout"].id,
        title="Refunds by API",
        what="An endpoint to refund an order.",
        why="Customers wait days.",
    )
    r = away_services.decline_request(actor=o.actor("dan"), request_id=r.id, version=r.version, reason="Not now")
    away_services.escalate_request(actor=o.actor("ann"), request_id=r.id, version=r.version, reason="Customers")
    decider = signed_in("vp-retail").get("/").content.decode()
    assert 'id="home-escalations"' in decider and "Refunds by API" in decider
    assert 'id="home-escalations"' not in signed_in("ann").get("/").content.decode()

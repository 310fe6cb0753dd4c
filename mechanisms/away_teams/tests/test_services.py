"""Away-team services (MECHANISMS.md §3): every transition from the right state by the right people, audited,
notified; escalation to the lowest common manager; duplication; hand-off and warranty; tax and credit."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from mechanisms.audit import services as audit_services
from mechanisms.away_teams import services as away
from mechanisms.catalog import services as catalog
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.org import services as org

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def file(o, *, by="bob", team="checkout", service="payments-api", **kw):
    values = {"title": "Refunds by API", "what": "An endpoint to refund an order.", "why": "Customers wait days."}
    values.update(kw)
    return away.file_request(
        actor=o.actor(by), service_id=o.services[service].id, requesting_team_id=o.teams[team].id, **values
    )


def history(request_id):
    page = audit_services.list_changes(
        actor=SYSTEM, subject_type="away_team_request", subject_id=str(request_id), limit=200
    )
    return [c.verb for c in sorted(page.items, key=lambda c: c.id)]


def test_a_member_files_on_another_teams_service_due_in_five_working_days(small_org):
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC), tick=False):  # a Friday
        request = file(small_org)
    assert request.state == "filed"
    assert (request.requesting_team_slug, request.home_team_slug, request.service_name) == (
        "checkout",
        "payments",
        "payments-api",
    )
    assert request.due_on == dt.date(2026, 11, 27)
    assert history(request.id) == ["file"]


def test_filing_rules(small_org):
    with pytest.raises(RuleViolation) as own:
        file(small_org, service="checkout-api")
    assert own.value.field == "service_id"
    with pytest.raises(PermissionDenied):
        file(small_org, by="eve")  # eve is in payments, not checkout
    with pytest.raises(RuleViolation) as why:
        file(small_org, why="  ")
    assert why.value.field == "why"
    with pytest.raises(NotFound):
        away.file_request(
            actor=small_org.actor("bob"),
            service_id=99999,
            requesting_team_id=small_org.teams["checkout"].id,
            title="t",
            what="w",
            why="y",
        )
    svc = small_org.services["payments-api"]
    catalog.retire_service(actor=SYSTEM, service_id=svc.id, version=svc.version)
    with pytest.raises(RuleViolation) as retired:
        file(small_org)
    assert retired.value.field == "service_id"


def test_only_the_home_team_answers_and_the_contact_is_one_of_its_members(small_org):
    o = small_org
    request = file(o)
    with pytest.raises(PermissionDenied) as wrong:
        away.accept_request(
            actor=o.actor("bob"),
            request_id=request.id,
            version=request.version,
            contact_id=o.people["eve"].id,
            standards="ours",
        )
    assert "home team" in wrong.value.message
    with pytest.raises(RuleViolation) as contact:
        away.accept_request(
            actor=o.actor("eve"),
            request_id=request.id,
            version=request.version,
            contact_id=o.people["bob"].id,
            standards="ours",
        )
    assert contact.value.field == "contact_id"
    accepted = away.accept_request(
        actor=o.actor("eve"),
        request_id=request.id,
        version=request.version,
        contact_id=o.people["dan"].id,
        standards="Our style guide",
        effort_days=2,
    )
    assert (accepted.state, accepted.contact_id, accepted.answer) == ("accepted", o.people["dan"].id, "accept")
    assert history(request.id) == ["file", "accept"]


def test_a_refused_transition_changes_nothing(small_org):
    o = small_org
    request = file(o)
    with pytest.raises(RuleViolation) as early:
        away.hand_off_request(
            actor=o.actor("bob"), request_id=request.id, version=request.version, tests=True, docs=True, runbook=True
        )
    assert "filed" in early.value.message
    after = away.get_request(actor=o.actor("bob"), request_id=request.id)
    assert (after.state, after.version) == ("filed", request.version)
    assert history(request.id) == ["file"]


def test_a_stale_version_is_a_conflict(small_org):
    o = small_org
    request = file(o)
    away.decline_request(actor=o.actor("eve"), request_id=request.id, version=request.version, reason="No capacity")
    with pytest.raises(Conflict) as stale:
        away.accept_request(
            actor=o.actor("dan"),
            request_id=request.id,
            version=request.version,
            contact_id=o.people["dan"].id,
            standards="x",
        )
    assert stale.value.field == "version"


def test_the_whole_life_from_filing_to_closing_after_the_warranty(small_org, mailoutbox):
    o = small_org
    r = file(o)
    r = away.accept_request(
        actor=o.actor("dan"),
        request_id=r.id,
        version=r.version,
        contact_id=o.people["eve"].id,
        standards="Payments engineering standards v3",
        effort_days=1.5,
    )
    r = away.start_building(actor=o.actor("cat"), request_id=r.id, version=r.version)
    r = away.submit_for_review(actor=o.actor("bob"), request_id=r.id, version=r.version)
    with pytest.raises(RuleViolation) as vague:
        away.review_request(actor=o.actor("eve"), request_id=r.id, version=r.version, approved=False)
    assert vague.value.field == "note"
    r = away.review_request(
        actor=o.actor("eve"), request_id=r.id, version=r.version, approved=False, note="Idempotency keys, please"
    )
    assert r.state == "in_progress"
    r = away.submit_for_review(actor=o.actor("bob"), request_id=r.id, version=r.version)
    with pytest.raises(RuleViolation) as unapproved:
        away.hand_off_request(
            actor=o.actor("bob"), request_id=r.id, version=r.version, tests=True, docs=True, runbook=True
        )
    assert (unapproved.value.field, unapproved.value.details["state"]) == ("state", "in_review")
    assert "only from: approved" in unapproved.value.message
    r = away.review_request(actor=o.actor("eve"), request_id=r.id, version=r.version, approved=True, note="LGTM")
    assert r.state == "approved"
    with pytest.raises(RuleViolation):  # approving twice: the review is over
        away.review_request(actor=o.actor("eve"), request_id=r.id, version=r.version, approved=True)
    with pytest.raises(RuleViolation) as incomplete:
        away.hand_off_request(
            actor=o.actor("bob"), request_id=r.id, version=r.version, tests=True, docs=False, runbook=False
        )
    assert incomplete.value.details["missing"] == ["documentation updated", "runbook updated"]
    assert incomplete.value.field == "checklist"
    r = away.hand_off_request(
        actor=o.actor("bob"),
        request_id=r.id,
        version=r.version,
        tests=True,
        docs=True,
        runbook=True,
        downstream_impact="Refund time from 3 days to 1 minute",
    )
    with pytest.raises(PermissionDenied):
        away.accept_hand_off(actor=o.actor("bob"), request_id=r.id, version=r.version)
    r = away.accept_hand_off(actor=o.actor("eve"), request_id=r.id, version=r.version)
    assert r.state == "warranty"
    assert r.warranty_until == dt.date.today() + dt.timedelta(days=30)
    with pytest.raises(RuleViolation) as early:
        away.close_request(actor=o.actor("bob"), request_id=r.id, version=r.version)
    assert "warranty" in early.value.message
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        report = away.sweep(actor=SYSTEM)
        assert report.closed == 1
        closed = away.get_request(actor=o.actor("bob"), request_id=r.id)
    assert (closed.state, closed.outcome) == ("closed", "handed off; warranty over")
    assert history(r.id) == [
        "file",
        "accept",
        "start",
        "submit",
        "review",
        "submit",
        "review",
        "hand_off",
        "accept_hand_off",
        "close",
    ]
    view = away.request_view(actor=o.actor("bob"), request_id=r.id)
    assert [e.transition for e in view.timeline][-1] == "close"
    assert view.actions == ()


def test_escalation_goes_to_the_lowest_common_manager_who_alone_decides(small_org):
    o = small_org
    r = file(o)
    r = away.decline_request(actor=o.actor("dan"), request_id=r.id, version=r.version, reason="Not this quarter")
    r = away.escalate_request(actor=o.actor("ann"), request_id=r.id, version=r.version, reason="Customers suffer")
    assert r.decider_id == o.people["vp-retail"].id  # ann and dan both report to vp-retail
    assert [x.id for x in away.escalations_for(actor=o.actor("vp-retail")).items] == [r.id]
    for who in ("ann", "dan", "ceo"):
        with pytest.raises(PermissionDenied):
            away.decide_escalation(
                actor=o.actor(who), request_id=r.id, version=r.version, decision="reshuffle", reason="x"
            )
    with pytest.raises(RuleViolation) as bad:
        away.decide_escalation(
            actor=o.actor("vp-retail"), request_id=r.id, version=r.version, decision="maybe", reason="x"
        )
    assert bad.value.field == "decision"
    r = away.decide_escalation(
        actor=o.actor("vp-retail"),
        request_id=r.id,
        version=r.version,
        decision="reshuffle",
        reason="Refunds matter more than the new dashboard",
    )
    assert (r.state, r.decision) == ("home_builds", "reshuffle")
    r = away.complete_request(actor=o.actor("eve"), request_id=r.id, version=r.version)
    assert (r.state, r.outcome) == ("closed", "built by the home team")


def test_an_escalation_across_org_units_goes_higher_and_happens_once(small_org):
    o = small_org
    r = file(o, service="identity-api")
    r = away.decline_request(actor=o.actor("gus"), request_id=r.id, version=r.version, reason="No")
    r = away.escalate_request(actor=o.actor("bob"), request_id=r.id, version=r.version, reason="Please")
    assert r.decider_id == o.people["ceo"].id
    r = away.decide_escalation(
        actor=o.actor("ceo"),
        request_id=r.id,
        version=r.version,
        decision="keep_roadmap",
        reason="Identity's migration comes first",
    )
    assert r.state == "declined"
    with pytest.raises(RuleViolation) as again:
        away.escalate_request(actor=o.actor("bob"), request_id=r.id, version=r.version, reason="Please!")
    assert "once" in again.value.message


def test_escalation_needs_both_leaders_and_a_shared_manager(small_org):
    o = small_org
    loner = org.create_person(actor=SYSTEM, handle="lou", name="Lou", email="lou@acme.test")
    team = org.create_team(
        actor=SYSTEM,
        slug="island",
        name="Island",
        org_unit_id=o.units["acme"].id,
        leader_id=loner.id,
        member_ids=[loner.id],
    )
    org.create_account(actor=SYSTEM, username="lou", password="password123", person_id=loner.id)
    lou = org.actor_for_handle(handle="lou")
    r = away.file_request(
        actor=lou, service_id=o.services["payments-api"].id, requesting_team_id=team.id, title="t", what="w", why="y"
    )
    r = away.decline_request(actor=o.actor("dan"), request_id=r.id, version=r.version, reason="No")
    with pytest.raises(RuleViolation) as nobody:
        away.escalate_request(actor=lou, request_id=r.id, version=r.version, reason="Please")
    assert nobody.value.field == "decider"


def test_duplicate_is_recorded_linked_and_never_taxed(small_org):
    o = small_org
    r = file(o)
    with pytest.raises(RuleViolation):  # the home team still has time to answer
        away.duplicate_request(
            actor=o.actor("bob"), request_id=r.id, version=r.version, duplicate_service_id=o.services["checkout-api"].id
        )
    r = away.decline_request(actor=o.actor("dan"), request_id=r.id, version=r.version, reason="No")
    with pytest.raises(RuleViolation) as theirs:
        away.duplicate_request(
            actor=o.actor("bob"), request_id=r.id, version=r.version, duplicate_service_id=o.services["identity-api"].id
        )
    assert theirs.value.field == "duplicate_service_id"
    r = away.duplicate_request(
        actor=o.actor("bob"),
        request_id=r.id,
        version=r.version,
        duplicate_service_id=o.services["checkout-api"].id,
        reason="We will do it in ours",
    )
    assert (r.state, r.duplicate_service_id, r.service_id) == (
        "duplicated",
        o.services["checkout-api"].id,
        o.services["payments-api"].id,
    )
    assert away.tax_report(actor=o.actor("bob")).total == 0


def test_an_overdue_answer_may_be_duplicated_and_is_reminded_once_a_day(small_org, mailoutbox):
    o = small_org
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False):  # Monday
        r = file(o)
    with time_machine.travel(dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC), tick=False):
        assert away.get_request(actor=o.actor("bob"), request_id=r.id).overdue
        assert away.list_requests(actor=o.actor("bob"), overdue=True).total == 1
        assert away.sweep(actor=SYSTEM).reminded == 1
        assert away.sweep(actor=SYSTEM).reminded == 0  # not twice the same day
        assert away.team_board(actor=o.actor("dan"), team_id=o.teams["payments"].id).overdue == 1
        r = away.duplicate_request(
            actor=o.actor("bob"), request_id=r.id, version=r.version, duplicate_service_id=o.services["checkout-api"].id
        )
    assert history(r.id) == ["file", "remind", "duplicate"]
    with pytest.raises(PermissionDenied):
        away.sweep(actor=o.actor("bob"))


def test_withdraw_only_by_the_requesting_team_before_hand_off(small_org):
    o = small_org
    r = file(o)
    with pytest.raises(PermissionDenied):
        away.withdraw_request(actor=o.actor("dan"), request_id=r.id, version=r.version, reason="x")
    with pytest.raises(RuleViolation) as why:
        away.withdraw_request(actor=o.actor("bob"), request_id=r.id, version=r.version, reason="")
    assert why.value.field == "reason"
    r = away.withdraw_request(actor=o.actor("ann"), request_id=r.id, version=r.version, reason="Found another way")
    assert r.state == "withdrawn" and r.closed_at is not None


def test_board_tax_and_credit(small_org):
    o = small_org
    a = file(o)
    a = away.accept_request(
        actor=o.actor("dan"),
        request_id=a.id,
        version=a.version,
        contact_id=o.people["dan"].id,
        standards="s",
        effort_days=3,
    )
    b = file(o, service="identity-api", title="SSO")
    away.build_at_home(actor=o.actor("fay"), request_id=b.id, version=b.version, effort_days=5)
    file(o, service="identity-api", title="MFA")
    tax = away.tax_report(actor=o.actor("eve")).items
    assert [(t.team_slug, t.inbound, t.accepted, t.home_builds, t.effort_days, t.rank) for t in tax] == [
        ("identity", 2, 0, 1, 5.0, 1),
        ("payments", 1, 1, 0, 3.0, 2),
    ]
    board = away.team_board(actor=o.actor("ann"), team_id=o.teams["checkout"].id)
    assert board.outbound_by_state == {"accepted": 1, "home_builds": 1, "filed": 1}
    assert board.inbound_by_state == {}
    a = away.start_building(actor=o.actor("bob"), request_id=a.id, version=a.version)
    a = away.submit_for_review(actor=o.actor("bob"), request_id=a.id, version=a.version)
    a = away.review_request(actor=o.actor("eve"), request_id=a.id, version=a.version, approved=True)
    a = away.hand_off_request(
        actor=o.actor("bob"),
        request_id=a.id,
        version=a.version,
        tests=True,
        docs=True,
        runbook=True,
        downstream_impact="Refunds in a minute",
    )
    assert away.credit_report(actor=o.actor("bob")).teams == ()  # not until the home team accepts the hand-off
    away.accept_hand_off(actor=o.actor("eve"), request_id=a.id, version=a.version)
    credit = away.credit_report(actor=o.actor("bob"))
    assert [(c.slug, c.handed_off, c.with_impact) for c in credit.teams] == [("checkout", 1, 1)]
    assert {(c.slug, c.with_impact) for c in credit.org_units} == {("retail", 1), ("acme", 1)}
    paid = away.team_board(actor=o.actor("dan"), team_id=o.teams["payments"].id)
    assert paid.median_days_to_answer is not None


def test_reads_need_a_signed_in_person(small_org):
    r = file(small_org)
    with pytest.raises(PermissionDenied):
        away.get_request(actor=Actor.anonymous(), request_id=r.id)
    with pytest.raises(NotFound):
        away.get_request(actor=small_org.actor("bob"), request_id=r.id + 100)


def test_transitions_notify_the_people_concerned_but_not_the_actor(small_org):
    from mechanisms.notifications import services as notifications

    o = small_org
    r = file(o)
    dan_inbox = notifications.list_inbox(actor=o.actor("dan"))
    assert [i.title for i in dan_inbox.items] == ["Checkout asks Payments for a change in payments-api"]
    assert notifications.list_inbox(actor=o.actor("bob")).total == 0
    away.decline_request(actor=o.actor("dan"), request_id=r.id, version=r.version, reason="No")
    assert notifications.list_inbox(actor=o.actor("bob")).total == 1
    assert notifications.list_inbox(actor=o.actor("fay")).total == 0  # identity is not concerned


def test_the_migration_moves_an_approved_review_to_the_approved_state(small_org):
    """Before `approved` was a state, an approved review stayed `in_review` with the flag set (0002 moves it)."""
    import importlib

    from django.apps import apps

    from mechanisms.away_teams.models import Request as RequestRow

    o = small_org
    r = file(o)
    r = away.accept_request(
        actor=o.actor("eve"), request_id=r.id, version=r.version, contact_id=o.people["eve"].id, standards="s"
    )
    r = away.start_building(actor=o.actor("bob"), request_id=r.id, version=r.version)
    waiting = away.submit_for_review(actor=o.actor("bob"), request_id=r.id, version=r.version)
    legacy = file(o, title="Approved the old way")
    RequestRow.objects.filter(pk=legacy.id).update(state="in_review", review_approved=True)  # as 0001 left it
    importlib.import_module("mechanisms.away_teams.migrations.0002_approved_state").forwards(apps, None)
    assert away.get_request(actor=SYSTEM, request_id=legacy.id).state == "approved"
    assert away.get_request(actor=SYSTEM, request_id=waiting.id).state == "in_review"  # not reviewed yet: stays

"""Waivers get their approval through a bar-raiser review (MECHANISMS.md §2 M6, §4): requested by a person, pending
until the bar raiser's recommendation is accepted by the requester, then active (approve, approve with concerns) or
refused (do not proceed, which a waiver's requester cannot override); only active waivers count in evaluations."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.bar_raisers import services as bar_raisers
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import RuleViolation
from mechanisms.mandate import services as mandate

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
FUTURE = dt.date.today() + dt.timedelta(days=90)


@pytest.fixture
def back_door(small_org):
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["ledger-db"].id,
    )
    mandate.evaluate_org(actor=SYSTEM)
    return small_org


def requested(o, requester="bob"):
    return mandate.request_waiver(
        actor=o.actor(requester),
        subject="component:default/checkout-api",
        rule="mandate/back-door",
        related="resource:default/ledger-db",
        reason="Moving to the ledger API by Q3.",
        expires=FUTURE,
        question="Is the migration plan credible?",
    )


def recommend(o, waiver, recommendation):
    review = bar_raisers.get_review(actor=o.actor("hal"), review_id=waiver.review_id)
    return bar_raisers.recommend(
        actor=o.actor("hal"),
        review_id=review.id,
        version=review.version,
        recommendation=recommendation,
        reasoning="Read the plan and the ledger's access log.",
    )


def waived(o) -> bool:
    mandate.evaluate_org(actor=SYSTEM)
    [finding] = [f for f in mandate.list_findings(actor=SYSTEM, limit=200).items if f.rule == "mandate/back-door"]
    return finding.waived


def test_a_requested_waiver_is_reviewed_by_an_independent_bar_raiser_and_counts_once_its_approval_is_accepted(
    back_door,
):
    o = back_door
    waiver = requested(o)
    assert waiver.state == "pending" and waiver.approver_person_id == o.people["hal"].id
    review = bar_raisers.get_review(actor=o.actor("bob"), review_id=waiver.review_id)
    assert review.subject_kind.value == "waiver" and review.subject_id == waiver.id
    assert review.title == "waiver of mandate/back-door on component:default/checkout-api"
    assert review.owner_id == o.people["bob"].id and review.team_id == o.teams["checkout"].id
    assert not waived(o)  # pending: not in force
    done = recommend(o, waiver, "approve_with_concerns")
    assert not waived(o)  # recommended, not yet accepted by the requester
    bar_raisers.accept_review(actor=o.actor("bob"), review_id=done.id, version=done.version)
    assert mandate.get_waiver(actor=SYSTEM, waiver_id=waiver.id).state == "active"
    assert waived(o)
    assert bar_raisers.current_assignment(actor=SYSTEM, subject_kind="waiver", subject_id=waiver.id) is None


def test_a_do_not_proceed_cannot_be_overridden_and_once_accepted_refuses_the_waiver(back_door):
    o = back_door
    waiver = requested(o)
    done = recommend(o, waiver, "do_not_proceed")
    assert "override" not in bar_raisers.review_view(actor=o.actor("bob"), review_id=done.id).actions
    with pytest.raises(RuleViolation) as error:
        bar_raisers.override_review(actor=o.actor("bob"), review_id=done.id, version=done.version, rationale="Need it")
    assert "cannot be overridden" in error.value.message
    bar_raisers.accept_review(actor=o.actor("bob"), review_id=done.id, version=done.version)
    refused = mandate.get_waiver(actor=SYSTEM, waiver_id=waiver.id)
    assert refused.state == "refused" and not waived(o)
    assert [w.id for w in mandate.list_waivers(actor=SYSTEM, state="refused").items] == [waiver.id]
    assert mandate.list_waivers(actor=SYSTEM).total == 0  # neither asked for nor in force


def test_withdrawing_the_review_withdraws_the_request(back_door):
    o = back_door
    waiver = requested(o)
    review = bar_raisers.get_review(actor=o.actor("bob"), review_id=waiver.review_id)
    bar_raisers.withdraw_review(actor=o.actor("bob"), review_id=review.id, version=review.version, reason="Fixed it")
    assert mandate.get_waiver(actor=SYSTEM, waiver_id=waiver.id).state == "withdrawn"
    assert not waived(o)


def test_the_requester_going_against_an_approval_withdraws_the_request(back_door):
    o = back_door
    waiver = requested(o)
    done = recommend(o, waiver, "approve")
    bar_raisers.override_review(
        actor=o.actor("bob"), review_id=done.id, version=done.version, rationale="We fix it instead."
    )
    assert mandate.get_waiver(actor=SYSTEM, waiver_id=waiver.id).state == "withdrawn"


def test_the_approver_must_be_independent_of_the_requester_too(back_door):
    o = back_door
    bar_raisers.add_to_pool(actor=SYSTEM, person_id=o.people["gus"].id, trained_on=dt.date(2024, 1, 1))
    with pytest.raises(RuleViolation) as error:  # gus reports to fay, who asks for a waiver on checkout-api
        mandate.request_waiver(
            actor=o.actor("fay"),
            subject="component:default/checkout-api",
            rule="mandate/back-door",
            reason="Because.",
            expires=FUTURE,
            approver_id=o.people["gus"].id,
            approver_reason="he knows the ledger",
        )
    assert error.value.field == "approver_id"
    assert mandate.list_waivers(actor=SYSTEM, state="all").total == 0


def test_the_approvers_queue_and_the_review_carry_no_more_than_the_title_and_link(back_door):
    o = back_door
    waiver = requested(o)
    queue = bar_raisers.bar_raiser_queue(actor=o.actor("hal"))
    assert [r.id for r in queue.awaiting] == [waiver.review_id]
    [item] = queue.assignments
    assert item.url == f"/waivers?state=all#waiver-{waiver.id}"

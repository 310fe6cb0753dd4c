"""Approval for staffing (MECHANISMS.md §6): only from circle 4 by its reviewer, only with a mockup attached, and a
high-impact PR/FAQ only once its bar-raiser review is accepted or overridden. Each refusal names its rule and
changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.documents import services as documents_services
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.notifications import services as notifications_services
from mechanisms.working_backwards import services
from mechanisms.working_backwards.contracts import PrFaqState

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _at_circle_four(org, parts, **kw):
    """bob's PR/FAQ, taken to circle 4: cat reviews 2, vp-retail 3, the ceo 4."""
    bob = org.actor("bob")
    prfaq = services.create_prfaq(
        actor=bob, title="Acme Pay Later", team_id=org.teams["checkout"].id, parts=parts, **kw
    )
    for circle, reviewer in ((2, "cat"), (3, "vp-retail"), (4, "ceo")):
        prfaq = services.set_circle_members(
            actor=bob,
            prfaq_id=prfaq.id,
            circle=circle,
            reviewer_ids=[org.people[reviewer].id],
            reader_ids=[],
            version=prfaq.version,
        )
    prfaq = services.submit_prfaq(actor=bob, prfaq_id=prfaq.id, version=prfaq.version)
    prfaq = services.advance_prfaq(actor=org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    return services.advance_prfaq(actor=org.actor("vp-retail"), prfaq_id=prfaq.id, version=prfaq.version)


def _history(org, prfaq_id):
    return audit_services.list_changes(actor=org.actor("bob"), subject_type="prfaq", subject_id=prfaq_id).total


def test_approval_needs_a_mockup_attached(small_org, good_parts):
    prfaq = _at_circle_four(small_org, good_parts)
    ceo = small_org.actor("ceo")
    changes = _history(small_org, prfaq.id)
    with pytest.raises(RuleViolation) as refused:
        services.approve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version)
    assert refused.value.field == "mockups" and "mockup" in refused.value.message
    assert services.get_prfaq(actor=ceo, prfaq_id=prfaq.id).version == prfaq.version
    assert _history(small_org, prfaq.id) == changes
    # An image that is not a mockup does not count.
    documents_services.attach_file(
        actor=small_org.actor("bob"), document_id=prfaq.document_id, name="chart.png", content=PNG, purpose="image"
    )
    with pytest.raises(RuleViolation):
        services.approve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version)
    documents_services.attach_file(
        actor=small_org.actor("bob"), document_id=prfaq.document_id, name="screen.png", content=PNG, purpose="mockup"
    )
    with pytest.raises(PermissionDenied):  # the author is not circle 4's reviewer
        services.approve_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    approved = services.approve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version)
    assert approved.state is PrFaqState.APPROVED and approved.approved_by_id == small_org.people["ceo"].id
    assert [(s.circle, s.outcome) for s in approved.stays][-1] == (4, "approved")
    # Approved is frozen: no revision, no attachment.
    with pytest.raises((RuleViolation, PermissionDenied)):
        services.revise_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, parts={"summary": "x"}, version=1)


def test_approval_is_only_from_circle_four(small_org, good_parts):
    bob = small_org.actor("bob")
    prfaq = services.create_prfaq(actor=bob, title="T", team_id=small_org.teams["checkout"].id, parts=good_parts)
    prfaq = services.set_circle_members(
        actor=bob, prfaq_id=prfaq.id, circle=2, reviewer_ids=[small_org.people["cat"].id], reader_ids=[], version=1
    )
    prfaq = services.submit_prfaq(actor=bob, prfaq_id=prfaq.id, version=prfaq.version)
    with pytest.raises(RuleViolation) as refused:
        services.approve_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    assert refused.value.field == "circle"


def test_a_high_impact_prfaq_gets_a_bar_raiser_review_that_must_be_answered_before_approval(small_org, good_parts):
    prfaq = _at_circle_four(small_org, good_parts, high_impact=True)
    bob, ceo, hal = small_org.actor("bob"), small_org.actor("ceo"), small_org.actor("hal")
    documents_services.attach_file(
        actor=bob, document_id=prfaq.document_id, name="screen.png", content=PNG, purpose="mockup"
    )
    review = bar_raisers_services.review_for(actor=bob, subject_kind="prfaq", subject_id=prfaq.id)
    assert review is not None and review.bar_raiser_id == small_org.people["hal"].id
    assert review.title == f"PR/FAQ #{prfaq.id}"  # nothing confidential in the review's title
    # The bar raiser reads what they review; an outsider sees neither the PR/FAQ nor its review.
    assert services.get_prfaq(actor=hal, prfaq_id=prfaq.id).id == prfaq.id
    assert (
        bar_raisers_services.review_for(actor=small_org.actor("dan"), subject_kind="prfaq", subject_id=prfaq.id) is None
    )
    with pytest.raises(NotFound):
        bar_raisers_services.get_review(actor=small_org.actor("dan"), review_id=review.id)
    with pytest.raises(RuleViolation) as refused:
        services.approve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version)
    assert refused.value.field == "bar_raiser_review"
    review = bar_raisers_services.recommend(
        actor=hal, review_id=review.id, version=review.version, recommendation="approve", reasoning="Sound economics."
    )
    with pytest.raises(RuleViolation):  # recommended but not answered by the owner yet
        services.approve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version)
    bar_raisers_services.accept_review(actor=bob, review_id=review.id, version=review.version)
    approved = services.approve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version)
    assert approved.state is PrFaqState.APPROVED


def test_shelving_needs_a_reason_a_note_for_other_and_tells_the_author_and_circles_reached(small_org, good_parts):
    prfaq = _at_circle_four(small_org, good_parts)
    ceo = small_org.actor("ceo")
    with pytest.raises(RuleViolation) as refused:
        services.shelve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version, reason="other")
    assert refused.value.field == "note"
    with pytest.raises(RuleViolation) as refused:
        services.shelve_prfaq(actor=ceo, prfaq_id=prfaq.id, version=prfaq.version, reason="bored")
    assert refused.value.field == "reason"
    with pytest.raises(PermissionDenied):  # circle 3's reviewer no longer decides
        services.shelve_prfaq(
            actor=small_org.actor("vp-retail"), prfaq_id=prfaq.id, version=prfaq.version, reason="roadblock"
        )
    before = {h: notifications_services.list_inbox(actor=small_org.actor(h)).total for h in ("bob", "cat", "dan")}
    shelved = services.shelve_prfaq(
        actor=ceo, prfaq_id=prfaq.id, version=prfaq.version, reason="other", note="A partner launches it first."
    )
    assert shelved.state is PrFaqState.SHELVED and shelved.shelve_note == "A partner launches it first."
    after = {h: notifications_services.list_inbox(actor=small_org.actor(h)).total for h in ("bob", "cat", "dan")}
    assert after["bob"] == before["bob"] + 1 and after["cat"] == before["cat"] + 1
    assert after["dan"] == before["dan"]  # never named: never told
    item = notifications_services.list_inbox(actor=small_org.actor("cat")).items[0]
    assert item.url == f"/prfaqs/{prfaq.id}" and "partner" not in item.title  # title and link only


def test_a_prfaqs_history_is_read_only_by_its_readers_and_keeps_field_names_only(small_org, good_parts):
    prfaq = _at_circle_four(small_org, good_parts)
    page = audit_services.list_changes(actor=small_org.actor("cat"), subject_type="prfaq", subject_id=prfaq.id)
    assert [c.verb for c in page.items][-1] == "create"
    for outsider in ("dan", "admin"):
        with pytest.raises(NotFound):
            audit_services.list_changes(actor=small_org.actor(outsider), subject_type="prfaq", subject_id=prfaq.id)
    assert "Acme Pay Later" not in repr([c.after for c in page.items])  # CONFIDENTIAL: field names, no values


def test_shelving_a_high_impact_prfaq_withdraws_its_open_bar_raiser_review(small_org, good_parts):
    prfaq = _at_circle_four(small_org, good_parts, high_impact=True)
    bob = small_org.actor("bob")
    assert (
        bar_raisers_services.review_for(actor=bob, subject_kind="prfaq", subject_id=prfaq.id).state.value == "requested"
    )
    services.shelve_prfaq(actor=small_org.actor("ceo"), prfaq_id=prfaq.id, version=prfaq.version, reason="timing")
    review = bar_raisers_services.review_for(actor=bob, subject_kind="prfaq", subject_id=prfaq.id)
    assert review.state.value == "withdrawn"
    # The ceo took the author's side only inside the shelving: the review's own door is still the author's.
    assert services.acts_for_author(small_org.actor("ceo"), prfaq.id) is False

"""PR/FAQ services: creation, circles, the machine's guards and who can read it (MECHANISMS.md §6)."""

from __future__ import annotations

import pytest

from mechanisms.documents import services as documents_services
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.working_backwards import services
from mechanisms.working_backwards.contracts import Circle, PrFaqState

pytestmark = pytest.mark.django_db


def _new(org, parts, handle="bob", **kw):
    return services.create_prfaq(
        actor=org.actor(handle), title="Acme Pay Later", team_id=org.teams["checkout"].id, parts=parts, **kw
    )


def test_create_prfaq_makes_a_draft_in_circle_one_with_its_document(small_org, good_parts):
    prfaq = _new(small_org, good_parts)
    assert prfaq.state is PrFaqState.DRAFT and prfaq.circle is Circle.AUTHOR
    assert prfaq.author_id == small_org.people["bob"].id
    rev = documents_services.get_revision(actor=small_org.actor("bob"), document_id=prfaq.document_id)
    assert rev.text("customer") == good_parts["customer"]
    assert [s.circle for s in prfaq.stays] == [Circle.AUTHOR]


def _ids(org, *handles):
    return [org.people[h].id for h in handles]


def _reload(org, prfaq, handle="bob"):
    return services.get_prfaq(actor=org.actor(handle), prfaq_id=prfaq.id)


def _circles(org, prfaq):
    """bob writes; circle 2: cat reviews, eve reads; circle 3: vp-retail reviews; circle 4: ceo reviews."""
    for circle, reviewers, readers in ((2, ["cat"], ["eve"]), (3, ["vp-retail"], []), (4, ["ceo"], [])):
        prfaq = services.set_circle_members(
            actor=org.actor("bob"),
            prfaq_id=prfaq.id,
            circle=circle,
            reviewer_ids=_ids(org, *reviewers),
            reader_ids=_ids(org, *readers),
            version=prfaq.version,
        )
    return prfaq


def test_only_the_author_and_circles_reached_read_a_prfaq(small_org, good_parts):
    prfaq = _circles(small_org, _new(small_org, good_parts))
    # A draft is the author's alone: the people named in circle 2 do not read it yet, nor do admins or managers.
    for outsider in ("cat", "eve", "ann", "vp-retail", "ceo", "admin", "dan"):
        with pytest.raises(NotFound):
            services.get_prfaq(actor=small_org.actor(outsider), prfaq_id=prfaq.id)
        assert services.list_prfaqs(actor=small_org.actor(outsider)).total == 0
    prfaq = services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    assert prfaq.state is PrFaqState.IN_REVIEW and prfaq.circle is Circle.SMALL_GROUP
    for reader in ("bob", "cat", "eve"):
        assert services.get_prfaq(actor=small_org.actor(reader), prfaq_id=prfaq.id).id == prfaq.id
    for outsider in ("ann", "vp-retail", "ceo", "admin"):
        with pytest.raises(NotFound):
            services.get_prfaq(actor=small_org.actor(outsider), prfaq_id=prfaq.id)
        assert (
            documents_services.find_document(actor=small_org.actor(outsider), owner_kind="prfaq", owner_id=prfaq.id)
            is None
        )
    prfaq = services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    assert services.get_prfaq(actor=small_org.actor("vp-retail"), prfaq_id=prfaq.id).circle is Circle.LEADERSHIP
    with pytest.raises(NotFound):
        services.get_prfaq(actor=small_org.actor("ceo"), prfaq_id=prfaq.id)
    prfaq = services.shelve_prfaq(
        actor=small_org.actor("vp-retail"), prfaq_id=prfaq.id, version=prfaq.version, reason="market_too_small"
    )
    # Shelved at circle 3: it stays readable by the circles it reached, and never by circle 4.
    assert services.get_prfaq(actor=small_org.actor("eve"), prfaq_id=prfaq.id).state is PrFaqState.SHELVED
    with pytest.raises(NotFound):
        services.get_prfaq(actor=small_org.actor("ceo"), prfaq_id=prfaq.id)
    assert [(s.circle, s.outcome) for s in prfaq.stays] == [(1, "advanced"), (2, "advanced"), (3, "shelved")]


def test_submit_is_refused_without_the_core_paragraphs_naming_them(small_org, good_parts):
    parts = {k: v for k, v in good_parts.items() if k not in ("problem", "solution")}
    prfaq = _circles(small_org, _new(small_org, parts))
    with pytest.raises(RuleViolation) as refused:
        services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    assert "core paragraphs" in refused.value.message and "problem, solution" in refused.value.message
    assert refused.value.field == "parts"
    after = _reload(small_org, prfaq)
    assert (after.state, after.version) == (PrFaqState.DRAFT, prfaq.version)


def test_submit_is_refused_without_a_circle_two_reviewer(small_org, good_parts):
    prfaq = _new(small_org, good_parts)
    with pytest.raises(RuleViolation) as refused:
        services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    assert refused.value.field == "circle_2"
    assert _reload(small_org, prfaq).state is PrFaqState.DRAFT


def test_only_the_current_circles_reviewer_advances_and_the_next_circle_needs_one(small_org, good_parts):
    prfaq = _new(small_org, good_parts)
    prfaq = services.set_circle_members(
        actor=small_org.actor("bob"),
        prfaq_id=prfaq.id,
        circle=2,
        reviewer_ids=_ids(small_org, "cat"),
        reader_ids=_ids(small_org, "eve"),
        version=prfaq.version,
    )
    prfaq = services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    with pytest.raises(RuleViolation) as refused:
        services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    assert refused.value.field == "circle_3"
    prfaq = services.set_circle_members(
        actor=small_org.actor("bob"),
        prfaq_id=prfaq.id,
        circle=3,
        reviewer_ids=_ids(small_org, "vp-retail"),
        reader_ids=[],
        version=prfaq.version,
    )
    for not_reviewer in ("eve", "bob"):  # a reader of the circle, the author
        with pytest.raises(PermissionDenied):
            services.advance_prfaq(actor=small_org.actor(not_reviewer), prfaq_id=prfaq.id, version=prfaq.version)
    assert _reload(small_org, prfaq).circle is Circle.SMALL_GROUP
    # Circle 3's people are told nothing before it is reached; then they are told.
    from mechanisms.notifications import services as notifications_services

    vp = small_org.actor("vp-retail")
    assert notifications_services.list_inbox(actor=vp).total == 0
    services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    assert notifications_services.list_inbox(actor=vp).total == 1


def test_a_passed_circle_keeps_its_people(small_org, good_parts):
    prfaq = _circles(small_org, _new(small_org, good_parts))
    prfaq = services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    prfaq = services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    with pytest.raises(RuleViolation) as refused:
        services.set_circle_members(
            actor=small_org.actor("bob"),
            prfaq_id=prfaq.id,
            circle=2,
            reviewer_ids=_ids(small_org, "ann"),
            reader_ids=[],
            version=prfaq.version,
        )
    assert refused.value.field == "circle"
    with pytest.raises(PermissionDenied):
        services.set_circle_members(
            actor=small_org.actor("vp-retail"),
            prfaq_id=prfaq.id,
            circle=4,
            reviewer_ids=_ids(small_org, "ann"),
            reader_ids=[],
            version=prfaq.version,
        )


def test_suggested_circles_follow_the_owning_team_leaders_chain(small_org, good_parts):
    prfaq = _new(small_org, good_parts)
    three, four = services.suggest_circles(actor=small_org.actor("bob"), prfaq_id=prfaq.id)
    # checkout is led by ann, who reports to vp-retail, who reports to the ceo.
    assert three.person_ids == tuple(_ids(small_org, "vp-retail"))
    assert four.person_ids == tuple(_ids(small_org, "ceo"))


def _history_total(org, prfaq_id):
    from mechanisms.audit import services as audit_services

    return audit_services.list_changes(actor=org.actor("bob"), subject_type="prfaq", subject_id=prfaq_id).total


@pytest.mark.parametrize(
    ("who", "move", "values", "error", "rule_field"),
    [
        ("cat", "advance", {}, RuleViolation, "circle_3"),  # no reviewer named in circle 3
        ("eve", "shelve", {"reason": "timing"}, PermissionDenied, "actor"),  # a reader, not the reviewer
        ("cat", "approve", {}, RuleViolation, "circle"),  # only from circle 4
        ("bob", "submit", {}, RuleViolation, "state"),  # already submitted
        ("cat", "shelve", {"reason": "other", "note": ""}, RuleViolation, "note"),
        ("cat", "shelve", {"reason": "timing", "colour": "red"}, RuleViolation, "colour"),  # unknown field
    ],
)
def test_each_refusal_names_its_rule_and_changes_nothing(small_org, good_parts, who, move, values, error, rule_field):
    prfaq = _new(small_org, good_parts)
    prfaq = services.set_circle_members(
        actor=small_org.actor("bob"),
        prfaq_id=prfaq.id,
        circle=2,
        reviewer_ids=_ids(small_org, "cat"),
        reader_ids=_ids(small_org, "eve"),
        version=prfaq.version,
    )
    prfaq = services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    changes = _history_total(small_org, prfaq.id)
    with pytest.raises(error) as refused:
        services.apply_transition(
            actor=small_org.actor(who), prfaq_id=prfaq.id, version=prfaq.version, transition=move, values=values
        )
    assert refused.value.field == rule_field and refused.value.message
    after = _reload(small_org, prfaq)
    assert (after.version, after.state, after.circle, len(after.stays)) == (
        prfaq.version,
        prfaq.state,
        prfaq.circle,
        len(prfaq.stays),
    )
    assert _history_total(small_org, prfaq.id) == changes


def test_an_outsiders_move_is_not_found_whatever_it_is(small_org, good_parts):
    prfaq = _circles(small_org, _new(small_org, good_parts))
    prfaq = services.submit_prfaq(actor=small_org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)
    for outsider, move in (("vp-retail", "advance"), ("admin", "shelve"), ("ann", "approve")):
        with pytest.raises(NotFound):
            services.apply_transition(
                actor=small_org.actor(outsider),
                prfaq_id=prfaq.id,
                version=prfaq.version,
                transition=move,
                values={"reason": "timing"} if move == "shelve" else {},
            )
        with pytest.raises(NotFound):
            services.set_circle_members(
                actor=small_org.actor(outsider),
                prfaq_id=prfaq.id,
                circle=4,
                reviewer_ids=_ids(small_org, "dan"),
                reader_ids=[],
                version=prfaq.version,
            )
    assert _reload(small_org, prfaq).version == prfaq.version

"""The review board and the funnel (MECHANISMS.md §6): what waits on whom, in which circle, and how far PR/FAQs got.
Data is made through the services; the clock is moved, never the rows."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import Anchor
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.working_backwards import services
from mechanisms.working_backwards.contracts import Circle, PrFaqState, ShelveReason

pytestmark = pytest.mark.django_db


def _ids(org, *handles):
    return [org.people[h].id for h in handles]


def _new(org, parts, *, title="Acme Pay Later", handle="bob", team="checkout"):
    """bob writes; circle 2: cat reviews, eve reads; circle 3: vp-retail reviews; circle 4: ceo reviews."""
    prfaq = services.create_prfaq(actor=org.actor(handle), title=title, team_id=org.teams[team].id, parts=parts)
    for circle, reviewers, readers in ((2, ["cat"], ["eve"]), (3, ["vp-retail"], []), (4, ["ceo"], [])):
        prfaq = services.set_circle_members(
            actor=org.actor(handle),
            prfaq_id=prfaq.id,
            circle=circle,
            reviewer_ids=_ids(org, *reviewers),
            reader_ids=_ids(org, *readers),
            version=prfaq.version,
        )
    return prfaq


def _submit(org, prfaq):
    return services.submit_prfaq(actor=org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version)


def _on_board(org, handle):
    board = services.review_board(actor=org.actor(handle))
    return {
        "circles": {int(c): [i.prfaq_id for i in items] for c, items in board.circles},
        "drafts": [i.prfaq_id for i in board.drafts],
        "finished": [i.prfaq_id for i in board.finished],
        "waiting": [i.prfaq_id for i in board.waiting],
    }


def test_the_board_shows_a_prfaq_only_to_its_author_and_the_circles_it_reached(small_org, good_parts):
    prfaq = _new(small_org, good_parts)
    assert _on_board(small_org, "bob")["drafts"] == [prfaq.id]
    # A draft is its author's: circle 2's people, managers and admins see nothing of it on their boards.
    for outsider in ("cat", "eve", "ann", "vp-retail", "ceo", "admin"):
        assert _on_board(small_org, outsider) == {
            "circles": {2: [], 3: [], 4: []},
            "drafts": [],
            "finished": [],
            "waiting": [],
        }
    prfaq = _submit(small_org, prfaq)
    assert _on_board(small_org, "cat")["circles"][2] == [prfaq.id]
    assert _on_board(small_org, "cat")["waiting"] == [prfaq.id]  # cat reviews circle 2
    assert _on_board(small_org, "eve")["circles"][2] == [prfaq.id]
    assert _on_board(small_org, "eve")["waiting"] == []  # a reader, not the reviewer
    assert _on_board(small_org, "bob")["drafts"] == []
    for outsider in ("vp-retail", "ceo", "admin", "ann"):  # circle 3 and 4 are not reached yet
        assert _on_board(small_org, outsider)["circles"] == {2: [], 3: [], 4: []}
    prfaq = services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    assert _on_board(small_org, "vp-retail")["waiting"] == [prfaq.id]
    assert _on_board(small_org, "cat")["circles"][3] == [prfaq.id]  # an inner circle still reads it
    assert _on_board(small_org, "cat")["waiting"] == []
    assert _on_board(small_org, "ceo")["circles"][3] == []
    services.shelve_prfaq(
        actor=small_org.actor("vp-retail"), prfaq_id=prfaq.id, version=prfaq.version, reason="market_too_small"
    )
    assert _on_board(small_org, "eve")["finished"] == [prfaq.id]
    assert _on_board(small_org, "vp-retail")["waiting"] == []
    assert _on_board(small_org, "ceo")["finished"] == []


def test_the_board_counts_the_comments_the_viewer_may_see_and_the_checkers_findings(small_org, good_parts):
    parts = {k: v for k, v in good_parts.items() if k not in ("market_size", "economics")}
    prfaq = _submit(small_org, _new(small_org, parts))
    documents_services.add_comment(
        actor=small_org.actor("eve"),
        document_id=prfaq.document_id,
        body="Who pays when a shopper does not?",
        anchor=Anchor(part="solution", quote="Acme takes the risk of late payments"),
    )
    item = services.review_board(actor=small_org.actor("cat")).circles[0][1][0]
    assert item.comments == 1
    assert item.errors == 0 and item.warnings >= 2  # two internal FAQ sections missing: warnings, not errors
    assert item.state is PrFaqState.IN_REVIEW and item.circle is Circle.SMALL_GROUP


def test_a_draft_without_a_core_paragraph_shows_the_checkers_error_on_its_authors_board(small_org, good_parts):
    parts = {k: v for k, v in good_parts.items() if k != "problem"}
    _new(small_org, parts)
    (draft,) = services.review_board(actor=small_org.actor("bob")).drafts
    assert draft.errors == 1
    assert draft.time_in_circle == "in draft since today"


def test_time_in_the_circle_counts_from_when_it_entered_the_circle(small_org, good_parts, monkeypatch):
    start = clock.now()
    prfaq = _submit(small_org, _new(small_org, good_parts))
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=4, hours=3))
    item = services.review_board(actor=small_org.actor("cat")).circles[0][1][0]
    assert item.days_in_circle == 4
    assert item.time_in_circle == "in circle 2 for 4 days"
    prfaq = services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=5, hours=4))
    item = services.review_board(actor=small_org.actor("vp-retail")).circles[1][1][0]
    assert item.time_in_circle == "in circle 3 for 1 day"


def test_waiting_prfaqs_are_those_whose_current_circle_the_actor_reviews(small_org, good_parts):
    first = _submit(small_org, _new(small_org, good_parts))
    _submit(small_org, _new(small_org, good_parts, title="Acme Gift Cards"))
    assert services.list_waiting_prfaqs(actor=small_org.actor("cat")).total == 2
    assert services.list_waiting_prfaqs(actor=small_org.actor("eve")).total == 0
    assert services.list_waiting_prfaqs(actor=small_org.actor("vp-retail")).total == 0
    services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=first.id, version=first.version)
    assert [i.prfaq_id for i in services.list_waiting_prfaqs(actor=small_org.actor("cat")).items] != [first.id]
    assert services.list_waiting_prfaqs(actor=small_org.actor("cat")).total == 1
    assert [i.prfaq_id for i in services.list_waiting_prfaqs(actor=small_org.actor("vp-retail")).items] == [first.id]
    assert services.list_waiting_prfaqs(actor=small_org.actor("admin")).total == 0


def test_the_board_is_for_signed_in_people(small_org):
    with pytest.raises(PermissionDenied):
        services.review_board(actor=Actor.anonymous())


def _funnel_world(org, parts):
    """Three PR/FAQs of checkout: a draft, one in circle 2, one shelved in circle 3 (market too small)."""
    draft = _new(org, parts, title="Draft idea")
    in_two = _submit(org, _new(org, parts, title="In circle two"))
    shelved = _submit(org, _new(org, parts, title="Shelved at three"))
    shelved = services.advance_prfaq(actor=org.actor("cat"), prfaq_id=shelved.id, version=shelved.version)
    shelved = services.shelve_prfaq(
        actor=org.actor("vp-retail"), prfaq_id=shelved.id, version=shelved.version, reason="market_too_small"
    )
    return draft, in_two, shelved


def test_the_funnel_counts_every_prfaq_and_names_only_those_the_viewer_may_read(small_org, good_parts):
    draft, in_two, shelved = _funnel_world(small_org, good_parts)
    for viewer in ("bob", "ceo", "gus", "admin"):
        report = services.prfaq_funnel(actor=small_org.actor(viewer))
        assert report.total == 3
        assert [s.reached for s in report.steps] == [3, 2, 1, 0]
        assert report.shelved == 1 and report.approved == 0
        assert report.steps[2].reasons == ((ShelveReason.MARKET_TOO_SMALL, 1),)
        assert report.reasons == ((ShelveReason.MARKET_TOO_SMALL, 1),)
        assert [s.current for s in report.steps] == [1, 1, 0, 0]
    named = {
        viewer: {e.prfaq_id for e in services.prfaq_funnel(actor=small_org.actor(viewer)).entries}
        for viewer in ("bob", "eve", "vp-retail", "ceo", "gus", "admin")
    }
    assert named["bob"] == {draft.id, in_two.id, shelved.id}
    assert named["eve"] == {in_two.id, shelved.id}  # circle 2 reached by both; never the draft
    assert named["vp-retail"] == {shelved.id}
    assert named["ceo"] == named["gus"] == named["admin"] == set()  # counted, never named


def test_the_funnel_of_an_org_unit_counts_the_prfaqs_of_its_teams_and_those_below(small_org, good_parts):
    _funnel_world(small_org, good_parts)
    ceo = small_org.actor("ceo")
    assert services.prfaq_funnel(actor=ceo, unit_id=small_org.units["retail"].id).total == 3
    assert services.prfaq_funnel(actor=ceo, unit_id=small_org.units["acme"].id).total == 3
    assert services.prfaq_funnel(actor=ceo, unit_id=small_org.units["platform"].id).total == 0
    with pytest.raises(NotFound) as missing:
        services.prfaq_funnel(actor=ceo, unit_id=987654)
    assert missing.value.field == "org_unit_id"


def test_the_funnel_of_a_period_counts_the_prfaqs_written_in_it(small_org, good_parts):
    _funnel_world(small_org, good_parts)
    today = clock.today()
    ceo = small_org.actor("ceo")
    assert services.prfaq_funnel(actor=ceo, since=today, until=today).total == 3
    assert services.prfaq_funnel(actor=ceo, since=today + dt.timedelta(days=1)).total == 0
    assert services.prfaq_funnel(actor=ceo, until=today - dt.timedelta(days=1)).total == 0
    with pytest.raises(RuleViolation) as refused:
        services.prfaq_funnel(actor=ceo, since=today, until=today - dt.timedelta(days=1))
    assert refused.value.field == "until"
    with pytest.raises(PermissionDenied):
        services.prfaq_funnel(actor=Actor.anonymous())


def test_the_funnel_reports_days_in_each_circle(small_org, good_parts, monkeypatch):
    start = clock.now()
    prfaq = _submit(small_org, _new(small_org, good_parts))
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=6))
    prfaq = services.advance_prfaq(actor=small_org.actor("cat"), prfaq_id=prfaq.id, version=prfaq.version)
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(days=8))
    report = services.prfaq_funnel(actor=small_org.actor("bob"))
    assert report.steps[1].days_median == 6.0  # circle 2: six days, then advanced
    assert report.steps[2].days_median == 2.0  # circle 3: two days so far
    assert report.steps[1].advanced == 1 and report.steps[2].current == 1

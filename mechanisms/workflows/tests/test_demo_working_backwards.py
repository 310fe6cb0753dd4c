"""The demo's working backwards (MECHANISMS.md §6): PR/FAQs in every circle, one approved for staffing with a
mockup, three shelved for different reasons in different circles, and a reading session with three readers, one
done reading; each circle's people sign in with the demo password and see what the README says."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import AttachmentPurpose
from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services
from mechanisms.workflows.demo import DEMO_PASSWORD, load_demo
from mechanisms.workflows.demo_working_backwards import mockup_png
from mechanisms.working_backwards import services as wb_services
from mechanisms.working_backwards.contracts import ShelveReason

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo()


def actor(handle: str) -> Actor:
    return org_services.actor_for_handle(handle=handle)


def test_the_demo_has_prfaqs_in_every_circle_approved_and_shelved_at_three_circles(demo):
    report = wb_services.prfaq_funnel(actor=Actor.system("test"))
    assert report.total == 9
    assert [s.current for s in report.steps] == [2, 1, 1, 1]  # two drafts, one in each of circles 2, 3, 4
    assert report.approved == 1
    shelved = {int(s.circle): s.reasons for s in report.steps if s.shelved}
    assert shelved == {
        2: ((ShelveReason.BETTER_IDEA, 1),),
        3: ((ShelveReason.MARKET_TOO_SMALL, 1),),
        4: ((ShelveReason.ROADBLOCK, 1),),
    }


def test_each_circles_reviewer_signs_in_and_finds_what_waits_on_them(demo):
    waiting = {
        handle: [i.title for i in wb_services.list_waiting_prfaqs(actor=actor(handle)).items]
        for handle in ("maya.chen", "sofia.nguyen", "paula.patel")
    }
    assert waiting == {
        "maya.chen": ["Pay in three, without fees"],
        "sofia.nguyen": ["Save for later, on every device"],
        "paula.patel": ["Guest checkout in under thirty seconds"],
    }
    for handle in ("maya.chen", "sofia.nguyen", "tanvi.larsen", "paula.patel", "ingrid.varga", "tanvi.murphy"):
        assert authenticate(username=handle, password=DEMO_PASSWORD) is not None, handle
    # The top has not seen the PR/FAQ still in circle 3: outer circles read nothing before it reaches them.
    board = wb_services.review_board(actor=actor("paula.patel"))
    assert "Save for later, on every device" not in [i.title for _, items in board.circles for i in items]


def test_the_approved_prfaq_has_its_mockup_attached(demo):
    (approved,) = [e for e in wb_services.prfaq_funnel(actor=actor("ingrid.varga")).entries if e.state == "approved"]
    prfaq = wb_services.get_prfaq(actor=actor("ingrid.varga"), prfaq_id=approved.prfaq_id)
    assert documents_services.count_attachments(document_id=prfaq.document_id, purpose=AttachmentPurpose.MOCKUP) == 1


def test_the_mockup_is_a_valid_png():
    content = mockup_png()
    assert content.startswith(b"\x89PNG\r\n\x1a\n") and content.endswith(b"IEND\xaeB`\x82")


def test_the_reading_session_hides_comments_from_readers_still_reading_and_from_the_presenter(demo):
    (narrative,) = wb_services.list_narratives(actor=actor("maya.chen")).items
    (session,) = documents_services.list_sessions(actor=actor("maya.chen"), document_id=narrative.document_id).items
    assert len(session.readers) == 3 and sum(r.done_at is not None for r in session.readers) == 1
    seen = {
        handle: documents_services.count_comments(actor=actor(handle), document_id=narrative.document_id)
        for handle in ("ingrid.varga", "tanvi.murphy", "nora.nakamura", "maya.chen")
    }
    # ingrid.varga is done (sees both), tanvi.murphy sees her own, nora.nakamura none yet, the presenter none.
    assert seen == {"ingrid.varga": 2, "tanvi.murphy": 1, "nora.nakamura": 0, "maya.chen": 0}


def test_loading_the_demo_twice_plants_working_backwards_once(demo):
    load_demo()
    assert wb_services.prfaq_funnel(actor=Actor.system("test")).total == 9


def test_the_demo_funnel_shows_the_days_spent_in_each_circle_as_a_real_organization_would(demo):
    report = wb_services.prfaq_funnel(actor=Actor.system("test"))
    assert [s.days_median is not None and s.days_median >= 2 for s in report.steps] == [True] * 4

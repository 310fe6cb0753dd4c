"""The pure documents rules: hidden comments during silent reading; passages found again in later revisions."""

from __future__ import annotations

from mechanisms.documents.contracts import Anchor, AnchorStatus
from mechanisms.documents.rules import SessionFacts, comment_visible, locate, source_passage

PRESENTER, A, B = 1, 2, 3


def facts(*, a_done=False, b_done=False, closed=False):
    return SessionFacts(presenter_id=PRESENTER, readers={A: a_done, B: b_done}, closed=closed)


def test_a_reader_sees_nobody_elses_comment_until_they_are_done_reading():
    assert comment_visible(viewer_id=A, author_id=A, session=facts())
    assert not comment_visible(viewer_id=A, author_id=B, session=facts())
    assert not comment_visible(viewer_id=A, author_id=B, session=facts(b_done=True))
    assert comment_visible(viewer_id=A, author_id=B, session=facts(a_done=True))


def test_the_presenter_and_outsiders_see_nothing_until_every_reader_is_done_or_the_session_closes():
    for viewer in (PRESENTER, 99, None):
        assert not comment_visible(viewer_id=viewer, author_id=A, session=facts(a_done=True))
        assert comment_visible(viewer_id=viewer, author_id=A, session=facts(a_done=True, b_done=True))
        assert comment_visible(viewer_id=viewer, author_id=A, session=facts(closed=True))


def test_a_passage_is_found_again_where_it_moved_and_reported_changed_when_edited():
    anchor = Anchor(part="body", quote="the cost", prefix="we cut ", suffix=" by half")
    assert locate(anchor, {"body": "Intro. we cut the cost by half."}) == (AnchorStatus.FOUND, 14)
    assert locate(anchor, {"body": "we cut the price by half"})[0] is AnchorStatus.CHANGED
    assert locate(None, {"body": "x"})[0] is AnchorStatus.DOCUMENT


def test_of_two_occurrences_the_one_in_the_same_context_is_chosen():
    anchor = Anchor(part="body", quote="cost", prefix="cut the ", suffix=" by half")
    text = "The cost rose. We cut the cost by half."
    assert locate(anchor, {"body": text}) == (AnchorStatus.FOUND, text.rindex("cost"))


def test_words_selected_on_the_rendered_page_stand_for_their_markdown_source():
    text = "We refund in **one hour**,\nnot in `three` days."
    assert source_passage(text, "refund in") == "refund in"
    assert source_passage(text, "in one hour") == "in **one hour"
    assert source_passage(text, "hour, not in three") == "hour**,\nnot in `three"
    assert source_passage(text, "in two hours") is None
    assert source_passage(text, "   ") is None

"""The hidden-comments rule of silent reading (rules.comment_visible), for every combination of readers done or not
and a session open or closed (hypothesis): a reader who is not done sees no other reader's comment, the presenter
sees none before every reader is done or the session is closed, and everyone always sees their own."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mechanisms.documents.rules import SessionFacts, comment_visible

PRESENTER = 1
OUTSIDER = 99


@st.composite
def sessions(draw):
    n = draw(st.integers(min_value=1, max_value=5))
    done = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return SessionFacts(
        presenter_id=PRESENTER, readers={10 + i: d for i, d in enumerate(done)}, closed=draw(st.booleans())
    )


@given(sessions())
def test_nobody_sees_a_readers_comment_early_and_everyone_sees_their_own(session):
    revealed = session.closed or session.all_done
    for author in session.readers:
        assert comment_visible(viewer_id=author, author_id=author, session=session)
        for viewer, done in session.readers.items():
            if viewer != author:
                assert comment_visible(viewer_id=viewer, author_id=author, session=session) == (done or revealed)
        assert comment_visible(viewer_id=PRESENTER, author_id=author, session=session) == revealed
        assert comment_visible(viewer_id=OUTSIDER, author_id=author, session=session) == revealed
        assert comment_visible(viewer_id=None, author_id=author, session=session) == revealed


def test_a_comment_outside_any_session_is_seen_by_every_reader_of_the_document():
    assert comment_visible(viewer_id=OUTSIDER, author_id=5, session=None)

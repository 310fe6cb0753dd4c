"""Leaks the seal tests found outside hiring's policy, now fixed and kept as regression tests (sealing.md: admins
who are not insiders, and managers above the hiring manager, are outsiders of a loop: NotFound everywhere, history
included). The audit app asks a confidential record's owner even for admins; erasing a candidate blanks the bar
raiser's review text too (bar_raisers.erase_review_text)."""

from __future__ import annotations

import pytest

from .scan import text_hits

pytestmark = pytest.mark.django_db


def test_an_admin_outside_the_loop_cannot_read_a_candidates_history(world, as_):
    entry = world.loops["interviewing"]
    response = as_("admin").get(f"/api/v1/history?subject_type=hiring_candidate&subject_id={entry.candidate_id}")
    assert response.status_code == 404


def test_erasure_blanks_the_bar_raisers_reasoning_in_the_review_too(world, django_capture_on_commit_callbacks):
    from mechanisms.hiring import services as hiring

    from .scan import database_hits

    entry = world.loops["decided"]
    with django_capture_on_commit_callbacks(execute=True):
        hiring.erase_candidate(actor=world.actor("rex"), candidate_id=entry.candidate_id, reason="asked by email")
    assert database_hits(list(entry.tokens.values())) == []


@pytest.mark.parametrize("subject_type", ["hiring_loop", "hiring_feedback"])
def test_an_admin_outside_the_loop_cannot_read_a_loops_or_a_feedbacks_history(world, as_, subject_type):
    entry = world.loops["interviewing"]
    subject_id = entry.loop_id if subject_type == "hiring_loop" else entry.interview_id("dan")
    response = as_("admin").get(f"/api/v1/history?subject_type={subject_type}&subject_id={subject_id}")
    assert response.status_code == 404


def test_the_whole_change_log_read_by_an_admin_opens_no_candidate_values(world, as_):
    """Admins are outsiders of candidates (sealing.md §2): the full log must not decrypt their sealed values."""
    tokens = [token for entry in world.loops.values() for token in entry.tokens.values()]
    body = as_("admin").get("/api/v1/history?limit=1000").content.decode()
    assert text_hits(body, tokens) == []

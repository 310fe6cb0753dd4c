"""Leaks the seal tests found outside hiring's policy, pinned as strict xfails until the owning app
fixes them (the leaks are cells of doors.KNOWN_LEAKS in the matrix too). A fix makes its test pass, which fails
(strict): then delete the xfail mark and the KNOWN_LEAKS cells. sealing.md: admins who are not insiders, and managers
above the hiring manager, are outsiders of a loop: NotFound everywhere, history included."""

from __future__ import annotations

import pytest

from .scan import text_hits

pytestmark = pytest.mark.django_db

AUDIT_ADMIN_BYPASS = (
    "audit/policy.py visible_ids answers every id for an admin before asking the owner, so the hiring resolvers "
    "(hiring/policy.py visible_ids) are never asked for admins, and list_changes decrypts erasable values for them"
)


@pytest.mark.xfail(strict=True, reason=AUDIT_ADMIN_BYPASS)
def test_an_admin_outside_the_loop_cannot_read_a_candidates_history(world, as_):
    entry = world.loops["interviewing"]
    response = as_("admin").get(f"/api/v1/history?subject_type=hiring_candidate&subject_id={entry.candidate_id}")
    assert response.status_code == 404


@pytest.mark.xfail(
    strict=True,
    reason="bar_raisers keeps a review's reasoning and rationale (bar_raisers_review) and offers no service for an "
    "owner to blank them when its subject's person is erased; hiring.erase_candidate blanks only its own tables",
)
def test_erasure_blanks_the_bar_raisers_reasoning_in_the_review_too(world, django_capture_on_commit_callbacks):
    from mechanisms.hiring import services as hiring

    from .scan import database_hits

    entry = world.loops["decided"]
    with django_capture_on_commit_callbacks(execute=True):
        hiring.erase_candidate(actor=world.actor("rex"), candidate_id=entry.candidate_id, reason="asked by email")
    assert database_hits(list(entry.tokens.values())) == []


@pytest.mark.xfail(strict=True, reason=AUDIT_ADMIN_BYPASS)
@pytest.mark.parametrize("subject_type", ["hiring_loop", "hiring_feedback"])
def test_an_admin_outside_the_loop_cannot_read_a_loops_or_a_feedbacks_history(world, as_, subject_type):
    entry = world.loops["interviewing"]
    subject_id = entry.loop_id if subject_type == "hiring_loop" else entry.interview_id("dan")
    response = as_("admin").get(f"/api/v1/history?subject_type={subject_type}&subject_id={subject_id}")
    assert response.status_code == 404


@pytest.mark.xfail(strict=True, reason=AUDIT_ADMIN_BYPASS)
def test_the_whole_change_log_read_by_an_admin_opens_no_candidate_values(world, as_):
    """Admins are outsiders of candidates (sealing.md §2): the full log must not decrypt their sealed values."""
    tokens = [token for entry in world.loops.values() for token in entry.tokens.values()]
    body = as_("admin").get("/api/v1/history?limit=1000").content.decode()
    assert text_hits(body, tokens) == []

"""Leaks the seal tests found outside hiring's policy, pinned as strict xfails until the owning app fixes them
(each is a cell of doors.KNOWN_LEAKS in the matrix too). A fixed leak makes its test pass, which fails (strict):
then delete the xfail mark and the KNOWN_LEAKS cell. sealing.md: admins who are not insiders, and managers above
the hiring manager, are outsiders of a loop: NotFound everywhere, history included."""

from __future__ import annotations

import pytest

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

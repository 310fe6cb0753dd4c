"""Erasure leaves nothing (sealing.md §6; issue 10, deliverable 7): after `erase_candidate` the candidate's name,
email, phone, source detail, résumé and every text written about them (feedback, STAR evidence, changed-vote
reasons, the bar raiser's reasoning, the decision's rationale) are gone from every table, the change log, the
notifications, the exports and the résumé storage; the anonymous aggregates (health figures) still count the loop.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.conf import settings

from mechanisms.audit import services as audit_services
from mechanisms.hiring import services as hiring

from .scan import database_hits, file_hits, text_hits

pytestmark = pytest.mark.django_db


@pytest.fixture
def erase(world, django_capture_on_commit_callbacks):
    """erase(phase) erases that loop's candidate as the recruiter, running what waits for the commit (the résumé
    file is deleted then), and gives back every marker planted for them."""

    def run(phase: str) -> list[str]:
        entry = world.loops[phase]
        with django_capture_on_commit_callbacks(execute=True):
            hiring.erase_candidate(actor=world.actor("rex"), candidate_id=entry.candidate_id, reason="asked by email")
        return list(entry.tokens.values())

    return run


@pytest.mark.parametrize("phase", ["decided", "interviewing"])
def test_erasing_a_candidate_leaves_no_personal_content_in_any_table(world, erase, phase):
    tokens = erase(phase)
    assert database_hits(tokens) == []


@pytest.mark.parametrize("phase", ["decided", "debrief"])
def test_erasing_a_candidate_deletes_their_resume_from_storage(world, erase, phase):
    entry = world.loops[phase]
    assert file_hits(settings.MEDIA_ROOT, [entry.tokens["resume"]]), "the fixture stored the résumé"
    erase(phase)
    assert file_hits(settings.MEDIA_ROOT, [entry.tokens["resume"]]) == []


def test_the_other_candidates_keep_their_content_after_one_is_erased(world, erase):
    """The scan is not vacuous: what was not erased is still found."""
    erase("decided")
    kept = world.loops["debrief"].tokens
    assert database_hits([kept["fbdan"]]), "the debrief loop's feedback is still stored"
    assert file_hits(settings.MEDIA_ROOT, [kept["resume"]])


def test_after_erasure_the_history_shows_only_that_changes_happened(world, erase):
    entry = world.loops["decided"]
    tokens = erase("decided")
    admin = world.actor("admin")
    changes = audit_services.list_changes(  # read by the loop's recruiter: admins are outsiders of a candidate
        actor=world.actor("rex"), subject_type="hiring_candidate", subject_id=entry.candidate_id, limit=100
    ).items
    assert changes, "the candidate's history keeps who changed it and when"
    assert [c.verb for c in changes][0] == "erase"
    for change in changes[1:]:
        assert change.erased and not change.before and not change.after, change
    everything = audit_services.list_changes(actor=admin, limit=1000).items
    dumped = json.dumps([dataclasses.asdict(c) for c in everything], default=str)
    assert text_hits(dumped, tokens) == []


def test_after_erasure_no_export_carries_the_candidate(world, erase, as_):
    tokens = erase("decided")
    response = as_("admin").get("/api/v1/exports/json")
    assert response.status_code == 200
    assert text_hits(response.content.decode(), tokens) == []


def test_erasure_keeps_the_anonymous_aggregates(world, erase):
    admin = world.actor("admin")
    before = hiring.hiring_health(actor=admin)
    erase("decided")
    after = hiring.hiring_health(actor=admin)
    assert after == before
    # The erased loop still counts: it is the one decided loop of the world, with its three submitted feedbacks.
    assert (after.loops_decided, after.feedback_submitted) == (1, 3)


def test_erased_candidate_keeps_votes_ratings_and_outcome(world, erase):
    from mechanisms.hiring.models import Candidate, Evidence, Feedback, Loop

    entry = world.loops["decided"]
    erase("decided")
    candidate = Candidate.objects.get(pk=entry.candidate_id)
    assert candidate.name == f"Erased candidate #{entry.candidate_id}"
    assert (candidate.email, candidate.phone, candidate.source_detail, candidate.resume_key) == ("", "", "", "")
    loop = Loop.objects.get(pk=entry.loop_id)
    assert (loop.decision, loop.recommendation) == ("hire", "approve")
    assert loop.decision_rationale == "" and loop.recommendation_reasoning == ""
    feedback = Feedback.objects.filter(interview__loop=loop)
    assert sorted(f.vote for f in feedback) == ["hire", "hire", "hire"]
    assert all(f.summary == "" and f.minutes_to_submit is not None for f in feedback)
    evidence = Evidence.objects.filter(feedback__interview__loop=loop)
    assert evidence.count() == 6
    assert all(e.rating == 3 and not (e.situation or e.task or e.action or e.result) for e in evidence)


def test_only_recruiters_of_the_unit_and_admins_erase_and_a_refusal_changes_nothing(world):
    from mechanisms.hiring.models import Candidate
    from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation

    entry = world.loops["interviewing"]
    for handle in ("ann", "bri", "dan", "zed", "ola", "bob"):
        with pytest.raises((NotFound, PermissionDenied)):
            hiring.erase_candidate(actor=world.actor(handle), candidate_id=entry.candidate_id, reason="because")
    with pytest.raises(RuleViolation):
        hiring.erase_candidate(actor=world.actor("rex"), candidate_id=entry.candidate_id, reason="")
    assert Candidate.objects.get(pk=entry.candidate_id).name == entry.tokens["name"]
    hiring.erase_candidate(actor=world.actor("admin"), candidate_id=entry.candidate_id, reason="asked")
    assert Candidate.objects.get(pk=entry.candidate_id).erased_at is not None

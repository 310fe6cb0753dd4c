"""Private models of the hiring app (MECHANISMS.md §5). Teams and people are plain id columns (DESIGN.md §3).

What is confidential, and to whom, is decided only in `policy.py`: candidates are confidential to their loop, the
hiring manager and recruiting; an interviewer's feedback is sealed until the debrief opens (and from the other
interviewers until they submitted their own). Erasing a candidate blanks every personal field here and destroys
their history's key (audit); votes, ratings and timings stay as anonymous aggregates."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Principle(VersionedModel):
    """A leadership principle an opening may assess; a configurable list, Amazon's sixteen by default."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "slug"]


class Opening(VersionedModel):
    """A job opening. No loop starts before it has a written job description: the opening's document (documents
    app, owner kind `hiring_opening`, every revision kept), read through documents' services, never a column here."""

    title = models.CharField(max_length=200)
    team_id = models.BigIntegerField(db_index=True)
    hiring_manager_id = models.BigIntegerField(db_index=True)
    recruiter_id = models.BigIntegerField(null=True, db_index=True)
    level = models.CharField(max_length=32)
    manager_role = models.BooleanField(default=False)  # the hire would manage people: their would-be reports
    reports_ids = models.JSONField(default=list)  # named would-be reports of a manager hire (besides the team)
    principles = models.JSONField(default=list)  # principle slugs to assess, in order
    state = models.CharField(max_length=16, db_index=True)  # draft | open | on_hold | filled | closed
    opened_on = models.DateField(null=True)
    closed_on = models.DateField(null=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Candidate(VersionedModel):
    """A person applying to one opening. Personal fields are blanked on erasure (`erased_at` set); the row stays so
    the anonymous aggregates (votes, ratings, timings, outcome) keep counting."""

    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="candidates")
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=32)  # referral | inbound | sourced | agency | internal
    source_detail = models.CharField(max_length=200, blank=True)
    resume_name = models.CharField(max_length=200, blank=True)  # the file name as uploaded
    resume_key = models.CharField(max_length=200, blank=True)  # where the storage keeps it (never a public URL)
    resume_type = models.CharField(max_length=100, blank=True)
    resume_size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, db_index=True)  # applied | in_loop | offer | hired | rejected | withdrawn
    added_by_id = models.BigIntegerField(null=True)
    erased_at = models.DateTimeField(null=True)
    erase_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Loop(VersionedModel):
    """One candidate's interview loop: its interviews, its bar raiser (required, independent), the debrief and the
    hiring manager's decision. A bar-raiser veto blocks an offer."""

    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT, related_name="loop")
    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="loops")
    state = models.CharField(max_length=16, db_index=True)  # the loop machine's states (hiring/machines.py)
    bar_raiser_id = models.BigIntegerField(null=True, db_index=True)
    debrief_opened_at = models.DateTimeField(null=True)
    debrief_opened_early = models.BooleanField(default=False)
    debrief_open_reason = models.TextField(blank=True)  # why the bar raiser opened it before all feedback was in
    recommendation = models.CharField(max_length=24, blank=True)  # the bar raiser's, at the debrief
    recommendation_reasoning = models.TextField(blank=True)
    vetoed = models.BooleanField(default=False)
    decision = models.CharField(max_length=16, blank=True)  # hire | no_hire
    decision_rationale = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True)
    decided_by_id = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Interview(VersionedModel):
    """One interview of a loop: who, when, and the one or two principles they assess."""

    loop = models.ForeignKey(Loop, on_delete=models.PROTECT, related_name="interviews")
    interviewer_id = models.BigIntegerField(db_index=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    principles = models.JSONField(default=list)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["starts_at", "id"]


class Feedback(models.Model):
    """An interviewer's written feedback on one interview. A draft is readable by its author only; once submitted it
    never changes (a changed vote in the debrief is a new DebriefVote with a reason)."""

    interview = models.OneToOneField(Interview, on_delete=models.PROTECT, related_name="feedback")
    vote = models.CharField(max_length=16, blank=True)  # strong_hire | hire | no_hire | strong_no_hire: no neutral
    summary = models.TextField(blank=True)
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, db_index=True)
    minutes_to_submit = models.PositiveIntegerField(null=True)  # from the interview's end to the submission

    class Meta:
        ordering = ["id"]


class Evidence(models.Model):
    """STAR evidence and a rating for one assigned principle of one feedback."""

    feedback = models.ForeignKey(Feedback, on_delete=models.PROTECT, related_name="evidence")
    principle = models.CharField(max_length=64)
    situation = models.TextField(blank=True)
    task = models.TextField(blank=True)
    action = models.TextField(blank=True)
    result = models.TextField(blank=True)
    rating = models.PositiveSmallIntegerField(null=True)  # 1..4

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["feedback", "principle"], name="hiring_one_evidence_per_principle")
        ]


class DebriefVote(models.Model):
    """A vote changed in the debrief: a new entry with its reason; the submitted feedback's vote is never touched."""

    loop = models.ForeignKey(Loop, on_delete=models.PROTECT, related_name="debrief_votes")
    person_id = models.BigIntegerField()
    vote = models.CharField(max_length=16)
    reason = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class LoopEvent(models.Model):
    """One accepted transition of a loop (its timeline; no feedback text ever goes here)."""

    loop = models.ForeignKey(Loop, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    transition = models.CharField(max_length=24)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

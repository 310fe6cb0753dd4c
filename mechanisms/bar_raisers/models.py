"""Private models of the bar-raisers app (MECHANISMS.md §4). People, teams and subjects are plain id columns
(DESIGN.md §3): a subject is named by its kind and its id in the owning app, never by a foreign key."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from mechanisms.kernel.models import VersionedModel


class PoolMember(VersionedModel):
    """A trained bar raiser: when and by whom they were trained, how many open assignments they take at once,
    and whether they take new ones now (an inactive member keeps their history and their open assignments)."""

    person_id = models.BigIntegerField(unique=True)
    trained_on = models.DateField()
    trainer_id = models.BigIntegerField(null=True)
    capacity = models.PositiveSmallIntegerField(default=2)
    active = models.BooleanField(default=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["person_id"]


class Assignment(VersionedModel):
    """A bar raiser on one subject of any kind (a hiring loop, a decision, a waiver), open until the owning app
    releases it; open assignments are a bar raiser's load. A pick other than the first suggestion says why."""

    person_id = models.BigIntegerField(db_index=True)
    subject_kind = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    owner_id = models.BigIntegerField(null=True)  # the hiring manager or decision owner the person is independent of
    team_id = models.BigIntegerField(null=True)  # the owning team
    suggested = models.BooleanField(default=False)  # the person was the first suggestion when assigned
    reason = models.TextField(blank=True)  # why a manual pick (required when not the first suggestion)
    assigned_at = models.DateTimeField()
    assigned_by_id = models.BigIntegerField(null=True)
    released_at = models.DateTimeField(null=True, db_index=True)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        indexes = [models.Index(fields=["subject_kind", "subject_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_id"],
                condition=Q(released_at__isnull=True),
                name="bar_raisers_one_open_assignment_per_subject",
            )
        ]


class Review(VersionedModel):
    """A bar-raiser review of one subject: the request, the written recommendation, and the owner's response
    (accept, or override with a rationale that the owner's management chain is told about)."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="review")
    subject_kind = models.CharField(max_length=32, db_index=True)
    subject_id = models.BigIntegerField()
    title = models.CharField(max_length=200)  # as the owning app describes the subject to every reader of the review
    url = models.CharField(max_length=300, blank=True)  # the subject's page in the owning app
    owner_id = models.BigIntegerField(db_index=True)
    team_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=16, db_index=True)
    requested_at = models.DateTimeField()
    requested_by_id = models.BigIntegerField(null=True)
    due_on = models.DateField(null=True)
    question = models.TextField(blank=True)  # what the owner asks the bar raiser to look at
    recommendation = models.CharField(max_length=24, blank=True)
    reasoning = models.TextField(blank=True)
    recommended_at = models.DateTimeField(null=True)
    response = models.CharField(max_length=16, blank=True)
    rationale = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True)
    responded_by_id = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["subject_kind", "subject_id"]), models.Index(fields=["state", "due_on"])]


class ReviewEvent(models.Model):
    """One accepted transition of a review (its timeline). Rows are only ever added."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    transition = models.CharField(max_length=24)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

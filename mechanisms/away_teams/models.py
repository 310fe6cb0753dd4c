"""Private models of the away-teams app. Services, teams and people are plain id columns (DESIGN.md §3)."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Request(VersionedModel):
    """An away-team request: the requesting team asks for a change in a service the home team owns, and builds it
    itself if the home team accepts (MECHANISMS.md §3). The state and everything each transition recorded."""

    title = models.CharField(max_length=200)
    what = models.TextField()
    why = models.TextField()
    design = models.TextField(blank=True)
    service_id = models.BigIntegerField(db_index=True)
    requesting_team_id = models.BigIntegerField(db_index=True)
    home_team_id = models.BigIntegerField(db_index=True)
    filed_by_id = models.BigIntegerField(null=True)
    state = models.CharField(max_length=16, db_index=True)
    filed_at = models.DateTimeField()
    due_on = models.DateField()
    reminded_at = models.DateTimeField(null=True)
    answer = models.CharField(max_length=16, blank=True)  # accept | build_at_home | decline: kept for the reports
    answered_at = models.DateTimeField(null=True)
    effort_days = models.FloatField(null=True)
    contact_id = models.BigIntegerField(null=True)
    standards = models.TextField(blank=True)
    decline_reason = models.TextField(blank=True)
    decider_id = models.BigIntegerField(null=True, db_index=True)
    escalation_reason = models.TextField(blank=True)
    decision = models.CharField(max_length=16, blank=True)
    decision_reason = models.TextField(blank=True)
    duplicate_service_id = models.BigIntegerField(null=True)
    tests_done = models.BooleanField(default=False)
    docs_done = models.BooleanField(default=False)
    runbook_done = models.BooleanField(default=False)
    review_approved = models.BooleanField(default=False)
    downstream_impact = models.TextField(blank=True)
    handed_off_at = models.DateTimeField(null=True)
    warranty_until = models.DateField(null=True)
    closed_at = models.DateTimeField(null=True)
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["state", "due_on"])]


class Event(models.Model):
    """One accepted transition of a request (the timeline on its page): who, when, from and to which state, why.
    Rows are only ever added; the audit log holds the same facts for the whole product."""

    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    transition = models.CharField(max_length=20)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True)
    actor_label = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

"""Private models of the audit app."""

from __future__ import annotations

from django.db import models


class Change(models.Model):
    """An append-only change record; triggers in the database reject UPDATE and DELETE (DESIGN.md §6)."""

    at = models.DateTimeField(db_index=True)
    actor_user_id = models.IntegerField(null=True)
    actor_person_id = models.IntegerField(null=True)
    actor_label = models.CharField(max_length=200)
    correlation_id = models.CharField(max_length=64, db_index=True)
    verb = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id", "-id"], name="audit_subject_idx")]

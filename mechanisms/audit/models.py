"""Private models of the audit app."""

from __future__ import annotations

from django.db import models


class Change(models.Model):
    """An append-only change record; triggers in the database reject UPDATE, DELETE, TRUNCATE and REPLACE over an
    existing id (DESIGN.md §6, docs/audit.md).

    For an erasable subject type, before, after, label and reason live only in `sealed`, encrypted under the
    subject's key in SubjectKey; the plain columns then hold nothing personal."""

    at = models.DateTimeField(db_index=True)
    actor_user_id = models.IntegerField(null=True)
    actor_person_id = models.IntegerField(null=True)
    actor_label = models.CharField(max_length=200)
    correlation_id = models.CharField(max_length=64, db_index=True)
    client_request_id = models.CharField(max_length=64, blank=True, default="")
    verb = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    subject_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    reason = models.TextField(blank=True)
    sealed = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id", "-id"], name="audit_subject_idx")]


class SubjectKey(models.Model):
    """The key one erasable record's history is sealed with. Deliberately mutable: erasure deletes the row, which
    makes every sealed value of that record unreadable while the change records themselves stay."""

    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="audit_subject_key_unique"),
        ]

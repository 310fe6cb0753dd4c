"""Private models of the documents app. The owning record is named by (owner_kind, owner_id), never by a foreign
key into another app's table (DESIGN.md §3); people are plain id columns."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Document(VersionedModel):
    """A document owned by one record of another app (a PR/FAQ, a narrative, a job description): its title and the
    number of its current revision. Every revision is kept (Revision)."""

    owner_kind = models.CharField(max_length=40)
    owner_id = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    current = models.PositiveIntegerField(default=1)  # the current revision's number
    created_by_id = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["owner_kind", "owner_id"], name="documents_one_document_per_owner")
        ]


class Revision(models.Model):
    """One revision of a document's body, kept forever: the text of each part (key -> Markdown), who wrote it, why."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    parts = models.JSONField(default=dict)
    note = models.CharField(max_length=500, blank=True)
    author_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["document_id", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="documents_one_revision_per_number")]


class ReadingSession(VersionedModel):
    """A silent reading of one frozen revision (MECHANISMS.md §6), time-boxed, with a presenter and readers."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sessions")
    revision = models.PositiveIntegerField()
    presenter_id = models.BigIntegerField(null=True)
    minutes = models.PositiveSmallIntegerField(default=20)
    state = models.CharField(max_length=16, default="reading")
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-started_at", "-id"]


class Reader(models.Model):
    """A reader in a reading session, and when they marked "done reading" (from then on they see the others')."""

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="readers")
    person_id = models.BigIntegerField()
    done_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["session_id", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "person_id"], name="documents_one_reader_per_person")]


class Comment(VersionedModel):
    """A comment on a document, made on one revision; about a passage (part, quote with context) or the whole
    document; within a reading session or not. Its passage is found again in later revisions by its quote."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="comments")
    revision = models.PositiveIntegerField()
    part = models.CharField(max_length=40, blank=True)
    quote = models.TextField(blank=True)
    prefix = models.CharField(max_length=200, blank=True)
    suffix = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    author_id = models.BigIntegerField(null=True)
    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, null=True, related_name="comments")
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["document_id", "id"]


class Attachment(models.Model):
    """A file attached to a document, stored under a random key in the configured storage (disk, or S3-compatible)
    and served only through the owner's access check."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=300)
    purpose = models.CharField(max_length=16, default="file")
    uploaded_by_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True)  # removed from the document; the row stays for the history

    class Meta:
        ordering = ["document_id", "id"]

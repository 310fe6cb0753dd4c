"""Private models of the working_backwards app. People, teams and documents are plain id columns (DESIGN.md §3)."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class PrFaq(VersionedModel):
    """A PR/FAQ (MECHANISMS.md §6): its body is a document (documents app, owner kind `prfaq`); this row holds its
    review: the circle it is in, its state, its owning team, and why it was shelved."""

    document_id = models.BigIntegerField(unique=True, null=True)
    title = models.CharField(max_length=300)
    author_id = models.BigIntegerField(db_index=True)
    team_id = models.BigIntegerField(db_index=True)
    state = models.CharField(max_length=16, default="draft", db_index=True)
    circle = models.PositiveSmallIntegerField(default=1)
    high_impact = models.BooleanField(default=False)
    shelve_reason = models.CharField(max_length=32, blank=True)
    shelve_note = models.TextField(blank=True)
    shelved_at = models.DateTimeField(null=True)
    shelved_by_id = models.BigIntegerField(null=True)
    approved_at = models.DateTimeField(null=True)
    approved_by_id = models.BigIntegerField(null=True)

    class Meta:
        ordering = ["-updated_at", "-id"]


class CircleMember(models.Model):
    """A person named in one circle of a PR/FAQ (2-4; circle 1 is the author): a reviewer or a reader."""

    prfaq = models.ForeignKey(PrFaq, on_delete=models.CASCADE, related_name="members")
    circle = models.PositiveSmallIntegerField()
    person_id = models.BigIntegerField(db_index=True)
    reviewer = models.BooleanField(default=False)

    class Meta:
        ordering = ["prfaq_id", "circle", "id"]
        constraints = [
            models.UniqueConstraint(fields=["prfaq", "circle", "person_id"], name="working_backwards_one_seat")
        ]


class CircleStay(models.Model):
    """A PR/FAQ's time in one circle, for the funnel: entered, left, and how (advanced, approved, shelved)."""

    prfaq = models.ForeignKey(PrFaq, on_delete=models.CASCADE, related_name="stays")
    circle = models.PositiveSmallIntegerField()
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True)
    outcome = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["prfaq_id", "circle", "id"]


class Narrative(VersionedModel):
    """A six-page narrative (MECHANISMS.md §6): its body and appendix are a document (owner kind `narrative`);
    confidential ones are read only by the author, the owning team and the readers named on it."""

    document_id = models.BigIntegerField(unique=True, null=True)
    title = models.CharField(max_length=300)
    author_id = models.BigIntegerField(db_index=True)
    team_id = models.BigIntegerField(db_index=True)
    confidential = models.BooleanField(default=False)

    class Meta:
        ordering = ["-updated_at", "-id"]


class NarrativeReader(models.Model):
    """A person named as a reader of a confidential narrative."""

    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="readers")
    person_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["narrative", "person_id"], name="working_backwards_one_named_reader")
        ]

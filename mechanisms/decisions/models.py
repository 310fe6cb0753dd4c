"""Private models of the decisions app. People and teams are plain id columns (DESIGN.md §3)."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Decision(VersionedModel):
    """A decision record (MECHANISMS.md §7): the question, its context, the options, the decision and its single
    owner, the date, one-way or two-way door, the revisit date and the later outcome. `extra` keeps what a MADR
    file holds that we do not model (front-matter keys, sections), so an import exports back the same sections."""

    number = models.PositiveIntegerField(unique=True)  # the record's number (MADR's file prefix, 0001-...)
    slug = models.SlugField(max_length=120)
    question = models.CharField(max_length=300)  # the title: the question being decided
    context = models.TextField(blank=True)
    decision = models.TextField(blank=True)  # the decision and its justification
    chosen_option = models.PositiveSmallIntegerField(null=True)  # position of the chosen Option
    owner_id = models.BigIntegerField(db_index=True)
    team_id = models.BigIntegerField(null=True, db_index=True)
    decided_on = models.DateField(null=True)
    door = models.CharField(max_length=8, default="two_way")
    status = models.CharField(max_length=16, default="proposed", db_index=True)
    category = models.CharField(max_length=24, default="other")
    high_impact = models.BooleanField(default=False)
    consequences = models.TextField(blank=True)
    revisit_on = models.DateField(null=True, db_index=True)
    outcome = models.CharField(max_length=16, blank=True)
    outcome_note = models.TextField(blank=True)
    outcome_at = models.DateTimeField(null=True)
    outcome_by_id = models.BigIntegerField(null=True)
    superseded_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, related_name="supersedes")
    extra = models.JSONField(default=dict)

    class Meta:
        ordering = ["-number"]


class Option(models.Model):
    """One considered option of a decision, in order, with its pros and cons (Markdown)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["decision_id", "position"]
        constraints = [models.UniqueConstraint(fields=["decision", "position"], name="decisions_one_option_per_place")]


class Participant(models.Model):
    """A participant in a decision and the stance they signed (empty until they sign; only they may sign it)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="participants")
    person_id = models.BigIntegerField(db_index=True)
    stance = models.CharField(max_length=24, blank=True)
    new_information = models.TextField(blank=True)  # what the dissent brings that the decision did not weigh
    signed_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["decision_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "person_id"], name="decisions_one_stance_per_person")
        ]

"""Private models of the mandate app: waivers, evaluations, per-team scores and the current findings.

Teams and people are referenced by plain id columns (DESIGN.md §3); subjects of findings and waivers are full
entity references (``component:default/checkout-api``), the language the pure rules speak.
"""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Waiver(VersionedModel):
    """An exception to one rule on one subject (MECHANISMS.md §2 M6), until an expiry date; ``related`` narrows it
    to one finding of that rule. Requested by a person, approved through a bar-raiser review (``review_id``, in
    bar_raisers) by an independent bar raiser: ``pending`` until the requester accepts the recommendation, then
    ``active`` (approve, approve with concerns) or ``refused`` (do not proceed); ``withdrawn`` when the request is
    given up. Only active waivers count. Revoked ones are kept."""

    subject = models.CharField(max_length=300, db_index=True)
    rule = models.CharField(max_length=64)
    related = models.CharField(max_length=300, blank=True)
    reason = models.TextField()
    expires = models.DateField()
    approver_person_id = models.BigIntegerField(db_index=True)
    granted_by = models.CharField(max_length=200)  # who requested it (the account's label)
    revoked = models.BooleanField(default=False)
    state = models.CharField(max_length=16, default="pending", db_index=True)
    requested_by_id = models.BigIntegerField(null=True)  # the requesting person: the review's owner
    review_id = models.BigIntegerField(null=True)  # the bar-raiser review that approves it (bar_raisers)

    class Meta:
        ordering = ["subject", "rule", "id"]


class Evaluation(models.Model):
    """One run of the rules over the server's org and catalog: when, why (manual or after a change), by whom."""

    at = models.DateTimeField(db_index=True)
    trigger = models.CharField(max_length=16, default="manual")
    actor = models.CharField(max_length=200)
    totals = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]


class TeamScore(models.Model):
    """A team's counts at one evaluation: the scorecard's history (a trend), kept forever."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores")
    team_id = models.BigIntegerField(db_index=True)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    waived = models.PositiveIntegerField(default=0)
    by_rule = models.JSONField(default=dict)

    class Meta:
        ordering = ["team_id", "evaluation_id"]


class OrgUnitScore(models.Model):
    """An org unit's counts at one evaluation, each finding of its teams (and the units below) counted once, as its
    scorecard's headline counts them: summing team scores would count a finding shared by two teams twice."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="unit_scores")
    org_unit_id = models.BigIntegerField(db_index=True)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    waived = models.PositiveIntegerField(default=0)
    by_rule = models.JSONField(default=dict)

    class Meta:
        ordering = ["org_unit_id", "evaluation_id"]


class CurrentFinding(models.Model):
    """A finding of the latest evaluation, replaced on each one. A finding that concerns several teams (a person
    leading two) has one row per team; ``primary`` marks the one row that lists it org-wide."""

    rule = models.CharField(max_length=64, db_index=True)
    severity = models.CharField(max_length=16)
    subject = models.CharField(max_length=300)
    related = models.JSONField(default=list)
    message = models.TextField(blank=True)
    details = models.JSONField(default=list)
    team_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    primary = models.BooleanField(default=True)
    waived = models.BooleanField(default=False)
    waiver_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["rule", "subject", "id"]

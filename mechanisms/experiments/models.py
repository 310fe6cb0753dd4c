"""Private models of the experiments app. Teams, people, services and registry metrics are plain id columns
(DESIGN.md §3): validated through their owners' services on write."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Experiment(VersionedModel):
    """An experiment (MECHANISMS.md §9): its key (the assignment seed), hypothesis, owning team, single owner,
    service, state, the current plan's number, the hash version its assignment uses, the data connection its
    statistics are computed in, and the owner's launch decision."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    hypothesis = models.TextField()
    team_id = models.BigIntegerField(db_index=True)
    owner_id = models.BigIntegerField(db_index=True)
    service_id = models.BigIntegerField(null=True, db_index=True)
    primary_metric_id = models.BigIntegerField(null=True, db_index=True)  # the current plan's, for lookups
    state = models.CharField(max_length=16, default="draft", db_index=True)
    high_impact = models.BooleanField(default=False)
    hash_version = models.PositiveSmallIntegerField(default=2)
    connection = models.CharField(max_length=80, default="default")
    plan_number = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(null=True)
    stopped_at = models.DateTimeField(null=True)
    stop_reason = models.TextField(blank=True)
    stopped_early = models.BooleanField(default=False)
    decision = models.CharField(max_length=16, blank=True)
    decision_variation = models.CharField(max_length=80, blank=True)
    decision_rationale = models.TextField(blank=True)
    decided_by_id = models.BigIntegerField(null=True)
    decided_at = models.DateTimeField(null=True)
    review_reasons = models.JSONField(default=list)
    created_by_id = models.BigIntegerField(null=True)
    # The warehouse sync's watermark: exposures with an id above it are not yet in the data connection.
    synced_exposure_id = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]


class PlanVersion(models.Model):
    """One version of an experiment's pre-registered plan (contracts.Plan as JSON). The first is the draft's
    (rewritten in place while a draft); every change after start is a new version with its reason, never an
    edit."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    reason = models.TextField(blank=True)
    after_start = models.BooleanField(default=False)
    changed = models.JSONField(default=list)
    created_by_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["experiment_id", "number"]
        constraints = [models.UniqueConstraint(fields=["experiment", "number"], name="experiments_one_plan_per_number")]


class Exposure(models.Model):
    """A unit's first exposure to a running experiment: the variation the hash gave it (by position, control 0)
    and the hash version. Written in bulk; a repeated exposure keeps the first."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="exposures")
    unit_id = models.CharField(max_length=200)
    variation = models.PositiveSmallIntegerField()
    hash_version = models.PositiveSmallIntegerField()
    exposed_at = models.DateTimeField()

    class Meta:
        ordering = ["experiment_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "unit_id"], name="experiments_one_exposure_per_unit")
        ]
        indexes = [models.Index(fields=["experiment", "variation"], name="experiments_exposure_variation")]


class MetricSource(VersionedModel):
    """Where a registry metric's per-unit events live for experiments: a data connection and one SELECT returning
    (unit_id, ts, value) rows. A metric without one reads the connection's `mech_metric_events` table."""

    metric_id = models.BigIntegerField(unique=True)
    connection = models.CharField(max_length=80, default="default")
    query = models.TextField()
    updated_by_id = models.BigIntegerField(null=True)


class Snapshot(models.Model):
    """An immutable analysis of an experiment (never updated): the queries, the sufficient statistics, the
    settings, the engine version, the results, the recommendation and the hash of them all."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="snapshots")
    number = models.PositiveIntegerField()
    taken_at = models.DateTimeField()
    through = models.DateTimeField()
    plan_number = models.PositiveIntegerField()
    final = models.BooleanField(default=False)
    engine_version = models.CharField(max_length=40)
    queries = models.JSONField(default=dict)
    statistics = models.JSONField(default=list)
    settings = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    recommendation = models.JSONField(default=dict)
    exposures = models.JSONField(default=list)
    srm_p = models.FloatField()
    peeking = models.BooleanField(default=False)
    result_hash = models.CharField(max_length=64)
    taken_by_id = models.BigIntegerField(null=True)
    extra = models.JSONField(default=dict)

    class Meta:
        ordering = ["experiment_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "number"], name="experiments_one_snapshot_per_number")
        ]

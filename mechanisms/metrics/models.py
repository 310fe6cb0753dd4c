"""Private models of the metrics app. People, teams and org units are plain id columns (DESIGN.md §3); the app's
own records reference each other by foreign key."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Metric(VersionedModel):
    """A metric of the registry (MECHANISMS.md §8): what it counts, input or output, its unit and good direction,
    the person who watches it daily and the team that moves it, how a period's values combine (sum, mean, min, max,
    last) or, for a ratio, which two metrics' period sums it divides, and whether changes are compared in percent or
    basis points. The definition's current revision number is `revision`; every revision is a MetricRevision, so a
    goal names the revision it was set against and is never met by redefining its metric."""

    name = models.CharField(max_length=120, unique=True)  # the key used by CSV columns, the API and SQL pulls
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, db_index=True)  # contracts.Kind: input | output
    definition = models.TextField()  # what exactly is counted, in words (Markdown)
    unit = models.CharField(max_length=40, blank=True)
    direction = models.CharField(max_length=4, default="up")  # contracts.Direction: which way is good
    owner_id = models.BigIntegerField(db_index=True)  # the person who watches it daily
    team_id = models.BigIntegerField(db_index=True)  # the team that owns it (and, for an input metric, controls it)
    lever = models.TextField(blank=True)  # an input metric: how its team moves it (required for input metrics)
    aggregation = models.CharField(max_length=8, default="sum")  # contracts.Aggregation
    comparison = models.CharField(max_length=8, default="percent")  # contracts.Comparison: percent | bps
    grain = models.CharField(max_length=4, default="day")  # contracts.Grain: day | week (one value per week ending)
    number_format = models.CharField(max_length=24, blank=True)  # contracts.NumberFormat; blank: from the unit
    # A ratio metric divides the period sums of two other metrics (the only computed metric the registry allows;
    # a weighted blend of metrics is refused, MECHANISMS.md §8).
    numerator = models.ForeignKey("self", on_delete=models.PROTECT, null=True, related_name="+")
    denominator = models.ForeignKey("self", on_delete=models.PROTECT, null=True, related_name="+")
    # Lineage: this metric evolved from that one, and why (pages -> pages seen -> pages seen in stock).
    evolved_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, related_name="evolutions")
    evolution_reason = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=1)
    retired_on = models.DateField(null=True)

    class Meta:
        ordering = ["name"]


class MetricRevision(models.Model):
    """One revision of a metric's definition, kept forever: every definitional field as it was (`fields`), the
    reason for the change and who made it. Revision 1 is the metric as first defined."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    fields = models.JSONField()  # the definitional fields of this revision (kind, definition, unit, aggregation...)
    reason = models.TextField(blank=True)
    author_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["metric_id", "number"]
        constraints = [models.UniqueConstraint(fields=["metric", "number"], name="metrics_one_revision_number")]


class PlanValue(models.Model):
    """The plan (target) of a metric for one period: a week (ending on its last day), a month, a fiscal quarter or
    a fiscal year, given by its first and last day."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="plan_values")
    period = models.CharField(max_length=8)  # contracts.Period: week | month | quarter | year
    start = models.DateField()
    end = models.DateField()
    value = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["metric_id", "period", "start"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "period", "start"], name="metrics_one_plan_per_period")
        ]


class DataLoad(models.Model):
    """One load of values: a CSV upload, an API push or a SQL pull; re-loading the same values changes nothing
    (a value is kept per metric and day), and the load says how many values it added, changed and left alone."""

    source = models.CharField(max_length=8)  # contracts.Source: csv | api | sql | demo
    actor_id = models.BigIntegerField(null=True)  # the person (None: the product itself, e.g. the worker)
    file_name = models.CharField(max_length=255, blank=True)
    metric_ids = models.JSONField(default=list)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class DataPoint(models.Model):
    """A metric's value on one day (or, for a weekly metric, for the week ending that day). `value` None is a
    blank that was loaded (the source said it has no figure), which the completeness check reports like a day that
    was never loaded: neither is ever shown as 0."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="points")
    day = models.DateField()
    value = models.FloatField(null=True)
    load = models.ForeignKey(DataLoad, on_delete=models.SET_NULL, null=True, related_name="points")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["metric_id", "day"]
        constraints = [models.UniqueConstraint(fields=["metric", "day"], name="metrics_one_value_per_day")]


class SqlSource(VersionedModel):
    """Where the worker pulls a metric's values from: a SQL query returning (day, value) rows, run every
    `every_hours` against a named connection of an engine (DuckDB embedded by default, PostgreSQL; a warehouse is
    another engine in the settings, not a rewrite). The last run's outcome is kept and shown."""

    metric = models.OneToOneField(Metric, on_delete=models.CASCADE, related_name="sql_source")
    engine = models.CharField(max_length=16, default="duckdb")  # contracts.Engine
    connection = models.CharField(max_length=64, default="default")  # a name in settings.MECH_METRICS_CONNECTIONS
    query = models.TextField()
    every_hours = models.PositiveSmallIntegerField(default=24)
    enabled = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True)
    last_status = models.CharField(max_length=8, blank=True)  # ok | failed
    last_error = models.TextField(blank=True)
    last_rows = models.PositiveIntegerField(null=True)


class Deck(VersionedModel):
    """A Weekly Business Review deck: an org unit's (or a team's) metrics in order, reviewed every week. Weeks end
    on `week_ends_on` (0 Monday .. 6 Sunday; wbr-app's weeks end on the chosen week-ending date's weekday) and the
    fiscal year ends with the month `fiscal_year_end_month`."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    unit_id = models.BigIntegerField(null=True, db_index=True)  # the org unit the deck reviews
    team_id = models.BigIntegerField(null=True, db_index=True)  # or a single team
    owner_id = models.BigIntegerField()  # who runs the review
    week_ends_on = models.PositiveSmallIntegerField(default=5)  # Saturday, as in wbr-app's samples
    fiscal_year_end_month = models.PositiveSmallIntegerField(default=12)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["title"]


class DeckRow(models.Model):
    """One chart of a deck, in order: a metric, with an optional label and number format for this deck."""

    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="rows")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="deck_rows")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=200, blank=True)
    number_format = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["deck_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["deck", "position"], name="metrics_one_row_per_place"),
            models.UniqueConstraint(fields=["deck", "metric"], name="metrics_one_row_per_metric"),
        ]


class Commentary(VersionedModel):
    """The owner's note on a metric's notable variance in one week's deck, written before the meeting."""

    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="commentary")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="commentary")
    week_ending = models.DateField()
    author_id = models.BigIntegerField()
    body = models.TextField()

    class Meta:
        ordering = ["deck_id", "week_ending", "metric_id"]
        constraints = [
            models.UniqueConstraint(fields=["deck", "metric", "week_ending"], name="metrics_one_note_per_week")
        ]


class Snapshot(models.Model):
    """A frozen deck for one week: the engine's whole result and the commentary as they were when it was taken
    (by the worker after the week ends, or by hand), so two weeks' decks can be compared as they were presented."""

    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="snapshots")
    week_ending = models.DateField()
    payload = models.JSONField()
    taken_by_id = models.BigIntegerField(null=True)  # None: the worker
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deck_id", "-week_ending"]
        constraints = [models.UniqueConstraint(fields=["deck", "week_ending"], name="metrics_one_snapshot_per_week")]


class Goal(VersionedModel):
    """A team's goal for the year (MECHANISMS.md §8): specific, dated, tied to a metric of the registry (and the
    revision of its definition it was set against). Leadership approves the "what" (the goal machine); progress is
    computed from the metric's data and the date, never set by hand."""

    team_id = models.BigIntegerField(db_index=True)
    year = models.PositiveSmallIntegerField(db_index=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="goals")
    metric_revision = models.PositiveIntegerField()
    measure = models.CharField(max_length=12, default="last_week")  # contracts.GoalMeasure: which figure is judged
    baseline = models.FloatField(null=True)
    target = models.FloatField()
    start_date = models.DateField()
    due_date = models.DateField()
    state = models.CharField(max_length=12, default="draft", db_index=True)
    owner_id = models.BigIntegerField()
    decided_by_id = models.BigIntegerField(null=True)
    decided_at = models.DateTimeField(null=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["team_id", "year", "id"]

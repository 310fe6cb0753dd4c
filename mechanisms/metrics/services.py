"""Public services of the metrics app (MECHANISMS.md §8). Keyword-only, typed; every write is one transaction with
its audit record (DESIGN.md §4). Reads go through `policy.visible_to`.

Sections, in order: the registry (metrics, revisions, lineage, plans); data (loads, pushes, SQL pulls,
completeness); decks (build, commentary, exceptions, snapshots); goals.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, importing
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import loading
from . import sql as _sql
from .contracts import (
    Completeness,
    Engine,
    Grain,
    LoadReport,
    PullReport,
    SeriesView,
    Source,
    SqlSourceView,
    ValuePoint,
    WeekCompleteness,
)
from .models import DataLoad, DataPoint, SqlSource
from .models import Metric as MetricRow

# --- the registry: metrics, revisions, lineage, plans ---------------------------------------------------------

# --- data: CSV loads, API pushes, SQL pulls, completeness ------------------------------------------------------
# Values are kept per metric and day (DataPoint); a load writes only what differs, so re-loading changes nothing.
# Every load is one transaction: the whole file is validated first, then authorized, then written in bulk, with one
# DataLoad row and one audit record per metric whose values it changed (not one per value).

DATA_SUBJECT_TYPE = "metric"
DATA_VERBS = frozenset({"load_values", "set_sql_source", "run_sql_source"})
KIND_SQL_FAILED = "metrics.sql_failed"
notifications_services.declare_kinds(kinds=[KIND_SQL_FAILED])
MAX_PUSH = 10_000  # values in one API push
MAX_SERIES_DAYS = 366 * 5  # the longest range one series or completeness read covers
DEFAULT_WEEK_ENDS_ON = 5  # Saturday, as wbr-app's samples (and Deck.week_ends_on's default)
PULL_EVERY = dt.timedelta(minutes=15)  # how often the worker looks for due SQL sources (metrics.tasks)
_BULK = 2000


def register_data_history() -> None:
    """Add the data verbs to the metric's history (called last in MetricsConfig.ready(), after the registry's
    history.register(); if the registry has not registered the type, a minimal open one is registered)."""
    import dataclasses as _dc

    from mechanisms.audit.contracts import SubjectType as _SubjectType

    known = audit_services.subject_types().get(DATA_SUBJECT_TYPE)
    if known is None:
        known = _SubjectType(
            name=DATA_SUBJECT_TYPE,
            owner="metrics",
            label="metric",
            verbs=DATA_VERBS,
            visible=audit_services.visible_to_signed_in,
        )
    words = {
        "load_values": "loaded values",
        "set_sql_source": "set the SQL source",
        "run_sql_source": "pulled values by SQL",
        **dict(known.verb_words),
    }
    audit_services.register_subject_type(
        subject_type=_dc.replace(known, verbs=known.verbs | DATA_VERBS, verb_words=words)
    )


def _may_change_metric(actor: Actor, row: MetricRow) -> bool:
    """The metric's owner, its team's members and leader, and admins change its data and SQL source.

    PLACEHOLDER until the registry's policy.can_change_metric is merged: then this calls it (one policy)."""
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    if actor.person_id == row.owner_id:
        return True
    relations = org_services.relations_of(actor=actor)
    return row.team_id in relations.member_of or row.team_id in relations.leads


def _require_data_change(actor: Actor, row: MetricRow) -> None:
    org_services.require_signed_in(actor)
    if not _may_change_metric(actor, row):
        raise PermissionDenied(
            f"only the owner of {row.name}, the members and leader of its team, or an admin change its data",
            field="metric",
        )


def _data_metric(actor: Actor, metric_id: int) -> MetricRow:
    org_services.require_signed_in(actor)
    row = MetricRow.objects.filter(pk=metric_id).first()
    if row is None:
        raise NotFound(f"metric {metric_id} does not exist", field="metric_id")
    return row


def find_metric_id(*, actor: Actor, name: str) -> int | None:
    """The id of the metric with this name, or None (the CLI names metrics)."""
    org_services.require_signed_in(actor)
    return MetricRow.objects.filter(name=name.strip()).values_list("pk", flat=True).first()


def _week_days(metric: MetricRow) -> frozenset[int]:
    """The weekdays a weekly metric's values may be dated on: the days its decks end weeks on (any day when it is
    in no deck yet)."""
    return frozenset(metric.deck_rows.values_list("deck__week_ends_on", flat=True).distinct())


def _check_values_fit(metrics: dict[int, MetricRow], cells, problems: list[tuple[str, str]]) -> None:
    """Ratio metrics take no values (their operands do); weekly ones only on their decks' week ends."""
    weekly: dict[int, frozenset[int]] = {}
    for metric_id, where, day, _value in cells:
        metric = metrics[metric_id]
        if metric.numerator_id:
            problems.append((where, f"{metric.name} is a ratio of two metrics; load its numerator and denominator"))
            continue
        if metric.grain == "week":
            days = weekly.get(metric_id)
            if days is None:
                days = weekly[metric_id] = _week_days(metric)
            if days and day.weekday() not in days:
                names = ", ".join(calendar.day_name[d] for d in sorted(days))
                problems.append(
                    (
                        where,
                        f"{metric.name} is weekly: {day} is a {calendar.day_name[day.weekday()]}, not a week end "
                        f"of its decks ({names})",
                    )
                )
        if len(problems) >= loading.MAX_PROBLEMS:
            return


def _write_values(
    *,
    actor: Actor,
    source: Source,
    file_name: str,
    metrics: dict[int, MetricRow],
    values: dict[int, dict[dt.date, float | None]],
) -> LoadReport:
    """Write the values that differ from what is stored, in bulk; one DataLoad, one audit record per metric
    changed. Call inside the load's transaction."""
    added: list[DataPoint] = []
    changed_ids: list[int] = []
    counts = {pk: [0, 0, 0] for pk in values}  # added, changed, unchanged
    days = [d for per in values.values() for d in per]
    first, last = (min(days), max(days)) if days else (None, None)
    load = DataLoad.objects.create(
        source=source.value, actor_id=actor.person_id, file_name=file_name[:255], metric_ids=sorted(values)
    )
    stored: dict[tuple[int, dt.date], tuple[int, float | None]] = {}
    if first is not None:
        rows = DataPoint.objects.filter(metric_id__in=list(values), day__gte=first, day__lte=last).values_list(
            "pk", "metric_id", "day", "value"
        )
        stored = {(metric_id, day): (pk, value) for pk, metric_id, day, value in rows.iterator(chunk_size=5000)}
    for metric_id, per in values.items():
        count = counts[metric_id]
        for day, value in per.items():
            known = stored.get((metric_id, day))
            if known is None:
                added.append(DataPoint(metric_id=metric_id, day=day, value=value, load=load))
                count[0] += 1
            elif known[1] != value:
                changed_ids.append(known[0])
                added.append(DataPoint(metric_id=metric_id, day=day, value=value, load=load))
                count[1] += 1
            else:
                count[2] += 1
    # A changed value is replaced (delete and insert in bulk): far faster than a bulk UPDATE of many rows.
    for part in importing.chunks(changed_ids, _BULK):
        DataPoint.objects.filter(pk__in=part).delete()
    DataPoint.objects.bulk_create(added, batch_size=_BULK)
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    DataLoad.objects.filter(pk=load.pk).update(added=total[0], changed=total[1], unchanged=total[2])
    load.added, load.changed, load.unchanged = total
    changes = []
    for metric_id, (n_added, n_changed, n_unchanged) in counts.items():
        if not (n_added or n_changed):
            continue
        per = values[metric_id]
        changes.append(
            {
                "verb": "run_sql_source" if source is Source.SQL else "load_values",
                "subject_type": DATA_SUBJECT_TYPE,
                "subject_id": metric_id,
                "subject_label": metrics[metric_id].name,
                "after": {
                    "load_id": load.pk,
                    "source": source.value,
                    "file_name": file_name,
                    "first_day": min(per).isoformat(),
                    "last_day": max(per).isoformat(),
                    "added": n_added,
                    "changed": n_changed,
                    "unchanged": n_unchanged,
                },
            }
        )
    if changes:  # one record per metric changed, in one statement
        audit_services.record_changes(actor=actor, changes=changes)
    return _to_load_report(load, names={pk: m.name for pk, m in metrics.items()}, first=first, last=last)


def load_values_csv(*, actor: Actor, content: bytes, file_name: str) -> LoadReport:
    """Load a CSV of values (docs/metrics.md, Data): long `date,metric,value` or wide `date,<metric>,...`, told
    apart by the header; a BOM is allowed, dates are ISO, an empty cell is a blank (None, never 0), a quoted
    number may have thousands separators. Every metric named must exist and the actor must be allowed to change
    each (MECHANISMS.md §8); a weekly metric's dates must be week ends of its decks.

    All or nothing: the whole file is validated first and every problem is reported with its line and field
    (ImportFailed, a RuleViolation whose details list them); then one transaction writes only the values that
    differ, so re-loading the same file changes nothing. Raises ImportFailed, PermissionDenied."""
    org_services.require_signed_in(actor)
    file_name = (file_name or "upload.csv").strip()[:255] or "upload.csv"
    parsed = loading.parse_csv(content)
    problems = importing.Problems()
    for line, column, message in parsed.problems:
        problems.add(file_name, f"line {line}: {column}", message)
    known = {m.name: m for m in MetricRow.objects.filter(name__in=parsed.names)}
    for name in parsed.names:
        if name not in known:
            line = next((c.line for c in parsed.cells if c.metric == name), 1) if parsed.shape == "long" else 1
            where = f"line {line}: metric" if parsed.shape == "long" else "line 1: header"
            problems.add(file_name, where, f"no metric is named {name[:80]!r}")
    problems.raise_if_any()
    metrics = {m.pk: m for m in known.values()}
    fit: list[tuple[str, str]] = []
    _check_values_fit(
        metrics, ((known[c.metric].pk, f"line {c.line}: {c.column}", c.day, c.value) for c in parsed.cells), fit
    )
    for where, message in fit:
        problems.add(file_name, where, message)
    problems.raise_if_any()
    if not parsed.cells:
        raise RuleViolation(f"{file_name} has no values to load", field="file")
    for metric in metrics.values():
        _require_data_change(actor, metric)
    values: dict[int, dict[dt.date, float | None]] = {pk: {} for pk in metrics}
    for cell in parsed.cells:
        values[known[cell.metric].pk][cell.day] = cell.value
    with transaction.atomic():
        return _write_values(actor=actor, source=Source.CSV, file_name=file_name, metrics=metrics, values=values)


def push_values(*, actor: Actor, metric_id: int, values: Sequence[ValuePoint]) -> LoadReport:
    """Push values of one metric (the API): each a day and a value or None (a blank). Same rules as a CSV load:
    one value per day, weekly metrics on their decks' week ends, ratio metrics take none, all or nothing, only
    what differs is written. Raises RuleViolation naming `values[i]`, PermissionDenied, NotFound."""
    metric = _data_metric(actor, metric_id)
    if not values:
        raise RuleViolation("push at least one value", field="values")
    if len(values) > MAX_PUSH:
        raise RuleViolation(f"push at most {MAX_PUSH} values at once (load a CSV for more)", field="values")
    problems = importing.Problems()
    per: dict[dt.date, float | None] = {}
    firsts: dict[dt.date, int] = {}
    for i, point in enumerate(values):
        value = point.value
        if value is not None and (not isinstance(value, int | float) or not math.isfinite(value)):
            problems.add("push", f"values[{i}].value", "must be a finite number or null (a blank)")
            continue
        if point.day in firsts:
            problems.add("push", f"values[{i}].day", f"{point.day} is also values[{firsts[point.day]}]")
            continue
        firsts[point.day] = i
        per[point.day] = None if value is None else float(value)
    problems.raise_if_any()
    fit: list[tuple[str, str]] = []
    _check_values_fit({metric.pk: metric}, ((metric.pk, f"values[{firsts[d]}].day", d, v) for d, v in per.items()), fit)
    for where, message in fit:
        problems.add("push", where, message)
    problems.raise_if_any()
    _require_data_change(actor, metric)
    with transaction.atomic():
        return _write_values(
            actor=actor, source=Source.API, file_name="", metrics={metric.pk: metric}, values={metric.pk: per}
        )


def list_loads(
    *, actor: Actor, metric_id: int | None = None, limit: int | None = None, offset: int | None = None
) -> Page[LoadReport]:
    """Recent loads, newest first (every signed-in person may read them), optionally of one metric."""
    org_services.require_signed_in(actor)
    qs = DataLoad.objects.all()
    if metric_id is not None:
        qs = (
            qs.filter(metric_ids__contains=[metric_id])
            if connection.vendor == "postgresql"
            else qs.filter(
                pk__in=[pk for pk, ids in DataLoad.objects.values_list("pk", "metric_ids") if metric_id in ids]
            )
        )
    page = paginate(qs, limit=limit, offset=offset, convert=lambda row: row)
    names = dict(
        MetricRow.objects.filter(pk__in={i for row in page.items for i in row.metric_ids}).values_list("pk", "name")
    )
    return Page(
        items=[_to_load_report(row, names=names) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def _range(start: dt.date | None, end: dt.date | None, *, days_back: int) -> tuple[dt.date, dt.date]:
    end = end or clock.today()
    start = start or end - dt.timedelta(days=days_back)
    if start > end:
        raise RuleViolation(f"start {start} is after end {end}", field="start")
    if (end - start).days > MAX_SERIES_DAYS:
        raise RuleViolation(f"read at most {MAX_SERIES_DAYS} days at once", field="end")
    return start, end


def get_series(*, actor: Actor, metric_id: int, start: dt.date | None = None, end: dt.date | None = None) -> SeriesView:
    """A metric's loaded values between start and end inclusive (default: the 70 days to today), oldest first,
    with the days (for a weekly metric: the week ends of its decks) never loaded. Blanks stay None; a ratio
    metric has no values of its own (its deck row computes them). Raises NotFound, RuleViolation."""
    metric = _data_metric(actor, metric_id)
    start, end = _range(start, end, days_back=69)
    points = tuple(
        ValuePoint(day=day, value=value)
        for day, value in DataPoint.objects.filter(metric_id=metric.pk, day__gte=start, day__lte=end)
        .order_by("day")
        .values_list("day", "value")
    )
    missing: tuple[dt.date, ...] = ()
    if not metric.numerator_id:
        loaded = {p.day for p in points}
        expected = _expected_days(metric, start, end)
        missing = tuple(d for d in expected if d not in loaded)
    return SeriesView(
        metric_id=metric.pk,
        name=metric.name,
        grain=Grain(metric.grain),
        start=start,
        end=end,
        points=points,
        missing=missing,
    )


def _expected_days(metric: MetricRow, start: dt.date, end: dt.date) -> list[dt.date]:
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if metric.grain != "week":
        return days
    ends = _week_days(metric) or frozenset({DEFAULT_WEEK_ENDS_ON})
    return [d for d in days if d.weekday() in ends]


def _metric_week_end(metric: MetricRow) -> int:
    ends = sorted(_week_days(metric))
    return ends[0] if ends else DEFAULT_WEEK_ENDS_ON


def completeness(
    *,
    actor: Actor,
    metric_id: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
    week_ends_on: int | None = None,
) -> Completeness:
    """The completeness check of a metric (MECHANISMS.md §8: shown, never hidden): for each week ending between
    start and end (default: the last 10 weeks that have ended), the days it expects (7, or 1 for a weekly metric),
    which were never loaded and which were loaded blank. Weeks end on `week_ends_on` (default: the day the
    metric's decks end weeks on, else Saturday). A ratio metric is as complete as both its operands: a day missing
    or blank in either is missing or blank. Raises NotFound, RuleViolation."""
    metric = _data_metric(actor, metric_id)
    if week_ends_on is None:
        week_ends_on = _metric_week_end(metric)
    if not 0 <= week_ends_on <= 6:
        raise RuleViolation("week_ends_on is 0 (Monday) to 6 (Sunday)", field="week_ends_on")
    if end is None:
        today = clock.today()
        end = today - dt.timedelta(days=(today.weekday() - week_ends_on) % 7 or 7)  # the last week that has ended
    if start is None:
        start = end - dt.timedelta(weeks=9)
    start, end = _range(start, end, days_back=0)
    first_end = start + dt.timedelta(days=(week_ends_on - start.weekday()) % 7)
    week_ends = []
    day = first_end
    while day <= end:
        week_ends.append(day)
        day += dt.timedelta(days=7)
    sources = [metric.numerator_id, metric.denominator_id] if metric.numerator_id else [metric.pk]
    weekly = metric.grain == "week" and not metric.numerator_id
    lo = (week_ends[0] - dt.timedelta(days=6)) if week_ends else start
    stored: dict[int, dict[dt.date, float | None]] = {pk: {} for pk in sources}
    for pk, d, v in DataPoint.objects.filter(metric_id__in=sources, day__gte=lo, day__lte=end).values_list(
        "metric_id", "day", "value"
    ):
        stored[pk][d] = v
    weeks = []
    for week_end in week_ends:
        days = [week_end] if weekly else [week_end - dt.timedelta(days=i) for i in range(6, -1, -1)]
        missing = tuple(d for d in days if any(d not in stored[pk] for pk in sources))
        blank = tuple(d for d in days if d not in missing and any(stored[pk].get(d, 0.0) is None for pk in sources))
        weeks.append(WeekCompleteness(week_ending=week_end, expected=len(days), missing=missing, blank=blank))
    return Completeness(
        metric_id=metric.pk,
        name=metric.name,
        grain=Grain(metric.grain),
        start=start,
        end=end,
        week_ends_on=week_ends_on,
        weeks=tuple(weeks),
    )


# SQL pulls


def get_sql_source(*, actor: Actor, metric_id: int) -> SqlSourceView:
    """The metric's SQL source and its last run; raises NotFound when it has none."""
    found = find_sql_source(actor=actor, metric_id=metric_id)
    if found is None:
        raise NotFound(f"metric {metric_id} has no SQL source", field="metric_id")
    return found


def find_sql_source(*, actor: Actor, metric_id: int) -> SqlSourceView | None:
    metric = _data_metric(actor, metric_id)
    row = SqlSource.objects.filter(metric=metric).first()
    return _to_sql_source(row) if row else None


def set_sql_source(
    *,
    actor: Actor,
    metric_id: int,
    engine: Engine | str,
    connection: str,
    query: str,
    every_hours: int = 24,
    enabled: bool = True,
    version: int | None = None,
) -> SqlSourceView:
    """Set where the worker pulls a metric's values from (MECHANISMS.md §8): an engine, a connection named in
    MECH_METRICS_CONNECTIONS, one SELECT returning (day, value) rows, how often (1 to 720 hours) and whether it
    runs. Creating names no version; changing names the version read (a stale one is a Conflict). The metric's
    owner, its team's members and leader, or an admin. Raises RuleViolation naming the field, Conflict."""
    metric = _data_metric(actor, metric_id)
    try:
        engine = Engine(engine)
    except ValueError:
        raise RuleViolation(f"engine must be one of: {', '.join(e.value for e in Engine)}", field="engine") from None
    connection = (connection or "").strip()
    known = _sql.connections()
    if connection not in known:
        raise RuleViolation(
            f"no connection named {connection!r}; MECH_METRICS_CONNECTIONS has: {', '.join(sorted(known)) or 'none'}",
            field="connection",
        )
    if known[connection].get("engine", "duckdb") != engine.value:
        raise RuleViolation(
            f"connection {connection!r} is a {known[connection].get('engine', 'duckdb')} connection, not {engine}",
            field="connection",
        )
    try:
        query = _sql.check_query(query)
    except ValueError as exc:
        raise RuleViolation(str(exc), field="query") from None
    if isinstance(every_hours, bool) or not isinstance(every_hours, int) or not 1 <= every_hours <= 720:
        raise RuleViolation("every_hours is a whole number of hours from 1 to 720", field="every_hours")
    if metric.numerator_id:
        raise RuleViolation(f"{metric.name} is a ratio of two metrics; pull its operands instead", field="metric_id")
    _require_data_change(actor, metric)
    fields = {
        "engine": engine.value,
        "connection": connection,
        "query": query,
        "every_hours": every_hours,
        "enabled": bool(enabled),
    }
    with transaction.atomic():
        row = SqlSource.objects.filter(metric=metric).first()
        before = None
        if row is None:
            if version is not None:
                raise Conflict(f"{metric.name} has no SQL source yet; create it without a version", field="version")
            row = SqlSource.objects.create(metric=metric, **fields)
        else:
            if version is None:
                raise RuleViolation("name the version of the SQL source you read", field="version")
            before = _sql_audit(row)
            update_versioned(row, expected_version=version, changes=fields)
        audit_services.record_change(
            actor=actor,
            verb="set_sql_source",
            subject_type=DATA_SUBJECT_TYPE,
            subject_id=metric.pk,
            subject_label=metric.name,
            before=before,
            after=_sql_audit(row),
        )
        return _to_sql_source(row)


def run_sql_source(*, actor: Actor, metric_id: int) -> LoadReport:
    """Run the metric's SQL query now and load its rows like any other load (idempotent, all or nothing). A
    failure (the engine's error, a non-SELECT, rows that are not (day, value), too many rows, a value that does
    not fit the metric) is stored on the source (last_status failed, last_error) and its owner is notified; then
    RuleViolation on `query` says why. Raises PermissionDenied, NotFound."""
    metric = _data_metric(actor, metric_id)
    row = SqlSource.objects.filter(metric=metric).first()
    if row is None:
        raise NotFound(f"metric {metric.name} has no SQL source", field="metric_id")
    _require_data_change(actor, metric)
    report, error = _pull(actor, metric, row)
    if error:
        raise RuleViolation(f"the SQL pull of {metric.name} failed: {error}", field="query")
    return report


def _pull(actor: Actor, metric: MetricRow, row: SqlSource) -> tuple[LoadReport | None, str]:
    """Run one source: (the load, "") or (None, the error, stored on the source and sent to the owner)."""
    started = clock.now()
    error = ""
    try:
        points = _sql.run(row.engine, row.connection, row.query)
    except _sql.QueryFailed as exc:
        points, error = [], str(exc)
    if not error:
        fit: list[tuple[str, str]] = []
        _check_values_fit(
            {metric.pk: metric}, ((metric.pk, f"row {i}", d, v) for i, (d, v) in enumerate(points, 1)), fit
        )
        if fit:
            error = "; ".join(f"{where}: {message}" for where, message in fit[:5])
    if error:
        with transaction.atomic():
            SqlSource.objects.filter(pk=row.pk).update(
                last_run_at=started, last_status="failed", last_error=error[:4000], last_rows=None
            )
            notifications_services.notify(
                actor=actor,
                recipients=[metric.owner_id],
                kind=KIND_SQL_FAILED,
                title=f"The SQL pull of {metric.name} failed",
                body=error[:2000],
                url=f"/metrics/{metric.name}",
                subject_type=DATA_SUBJECT_TYPE,
                subject_id=metric.pk,
            )
        return None, error
    with transaction.atomic():
        report = _write_values(
            actor=actor,
            source=Source.SQL,
            file_name=f"sql:{row.connection}",
            metrics={metric.pk: metric},
            values={metric.pk: dict(points)},
        )
        SqlSource.objects.filter(pk=row.pk).update(
            last_run_at=started, last_status="ok", last_error="", last_rows=len(points)
        )
    return report, ""


def pull_due_sources(*, actor: Actor) -> PullReport:
    """The worker's job (metrics.tasks, every PULL_EVERY): run each enabled SQL source whose last run is at least
    `every_hours` ago (or that never ran), each in its own transaction, so a source runs once per period however
    often the job runs, and one failing source neither stops the others nor the worker. An admin or the system."""
    if not actor.is_admin:
        raise PermissionDenied("only the worker (or an admin) runs the due SQL pulls", field="actor")
    now = clock.now()
    pulled, failed, skipped = [], [], 0
    for row in SqlSource.objects.filter(enabled=True).select_related("metric").order_by("pk"):
        if row.last_run_at is not None and row.last_run_at + dt.timedelta(hours=row.every_hours) > now:
            skipped += 1
            continue
        _report, error = _pull(actor, row.metric, row)
        (failed if error else pulled).append(row.metric_id)
    return PullReport(pulled=tuple(pulled), failed=tuple(failed), skipped=skipped)


def _sql_audit(row: SqlSource) -> dict[str, Any]:
    return {
        "engine": row.engine,
        "connection": row.connection,
        "query": row.query,
        "every_hours": row.every_hours,
        "enabled": row.enabled,
    }


def _to_sql_source(row: SqlSource) -> SqlSourceView:
    next_run = None
    if row.enabled:
        next_run = row.last_run_at + dt.timedelta(hours=row.every_hours) if row.last_run_at else clock.now()
    return SqlSourceView(
        metric_id=row.metric_id,
        engine=Engine(row.engine),
        connection=row.connection,
        query=row.query,
        every_hours=row.every_hours,
        enabled=row.enabled,
        version=row.version,
        last_run_at=row.last_run_at,
        last_status=row.last_status,
        last_error=row.last_error,
        last_rows=row.last_rows,
        next_run_at=next_run,
    )


def _to_load_report(
    row: DataLoad, *, names: dict[int, str], first: dt.date | None = None, last: dt.date | None = None
) -> LoadReport:
    ids = tuple(row.metric_ids)
    return LoadReport(
        id=row.pk,
        source=Source(row.source),
        actor_id=row.actor_id,
        file_name=row.file_name,
        metric_ids=ids,
        metric_names=tuple(names.get(i, f"#{i}") for i in ids),
        added=row.added,
        changed=row.changed,
        unchanged=row.unchanged,
        created_at=row.created_at,
        first_day=first,
        last_day=last,
    )


# --- decks: build, commentary, exceptions, snapshots -----------------------------------------------------------

# --- goals -----------------------------------------------------------------------------------------------------

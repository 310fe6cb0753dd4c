"""Metric events and sources (docs/experiments.md, Data): an events CSV is loaded all or nothing into the data
connection, each problem named by line and field, unknown metrics refused, one audit record with its counts; a
metric source is one SELECT of unit_id, ts, value that runs in its connection, versioned and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.experiments import services, warehouse
from mechanisms.experiments.history import SOURCE_SUBJECT_TYPE
from mechanisms.kernel import warehouse as data
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.importing import ImportFailed

from .helpers import GUARDRAIL, PRIMARY, metrics

pytestmark = pytest.mark.django_db

GOOD = (
    "metric,unit_id,ts,value\n"
    f"{PRIMARY},u1,2026-03-02T10:00:00Z,1\n"
    f"{GUARDRAIL},u1,2026-03-02T10:00:01+01:00,250.5\n"
    f"{GUARDRAIL},u2,2026-03-03,\n"
).encode()


def stored_events() -> list[tuple]:
    warehouse.create_tables("default")
    return data.read("default", "SELECT metric, unit_id, ts, value FROM mech_metric_events ORDER BY ts, unit_id")


def test_an_events_csv_is_loaded_into_the_data_connection_with_one_audit_record(small_org):
    metrics(small_org)
    report = services.load_events_csv(actor=small_org.actor("bob"), content=GOOD, file_name="march.csv")
    assert (report.events, report.per_metric) == (3, {GUARDRAIL: 2, PRIMARY: 1})
    assert (report.first, report.last) == (dt.datetime(2026, 3, 2, 9, 0, 1), dt.datetime(2026, 3, 3))
    assert stored_events() == [
        (GUARDRAIL, "u1", dt.datetime(2026, 3, 2, 9, 0, 1), 250.5),  # +01:00 kept as UTC
        (PRIMARY, "u1", dt.datetime(2026, 3, 2, 10, 0), 1.0),
        (GUARDRAIL, "u2", dt.datetime(2026, 3, 3), None),  # an event without a value
    ]
    [record] = audit_services.list_changes(
        actor=small_org.actor("admin"), subject_type=SOURCE_SUBJECT_TYPE, subject_id="connection:default"
    ).items
    assert record.verb == "load_events" and record.after["events"] == 3 and record.after["file"] == "march.csv"


def test_a_bad_events_file_loads_nothing_and_names_each_bad_line_and_field(small_org):
    metrics(small_org)
    bad = (
        "metric,unit_id,ts,value\n"
        f"{PRIMARY},u1,2026-03-02T10:00:00Z,1\n"
        f"{PRIMARY},u2,yesterday,1\n"
        f"{PRIMARY},,2026-03-02,1\n"
        f"{GUARDRAIL},u3,2026-03-02,NaN\n"
        "no_such_metric,u4,2026-03-02,1\n"
        f"{PRIMARY},u5,2026-03-02\n"
    ).encode()
    with pytest.raises(ImportFailed) as refused:
        services.load_events_csv(actor=small_org.actor("bob"), content=bad, file_name="bad.csv")
    where = {p.field for p in refused.value.problems}
    assert where == {"line 3: ts", "line 4: unit_id", "line 5: value", "line 6: metric", "line 7: file"}
    assert all(p.source == "bad.csv" for p in refused.value.problems)
    assert stored_events() == []
    assert audit_services.list_changes(actor=small_org.actor("admin"), subject_type=SOURCE_SUBJECT_TYPE).total == 0


@pytest.mark.parametrize(
    "content, field",
    [
        (b"date,metric,value\n2026-03-02,x,1\n", "line 1: header"),
        (b"\xff\xfe", "line 1: file"),
        (b"metric,unit_id,ts,value\n", "file"),
    ],
)
def test_a_file_that_is_not_an_events_csv_is_refused(small_org, content, field):
    with pytest.raises(RuleViolation) as refused:
        services.load_events_csv(actor=small_org.actor("bob"), content=content, file_name="x.csv")
    assert refused.value.field == field
    assert stored_events() == []


def test_only_the_metrics_team_loads_its_events_and_the_connection_must_exist(small_org):
    metrics(small_org)
    with pytest.raises(PermissionDenied):
        services.load_events_csv(actor=small_org.actor("dan"), content=GOOD, file_name="x.csv")  # payments
    with pytest.raises(RuleViolation) as refused:
        services.load_events_csv(actor=small_org.actor("bob"), content=GOOD, file_name="x.csv", connection="nosuch")
    assert refused.value.field == "connection"
    assert services.load_events_csv(actor=small_org.actor("admin"), content=GOOD, file_name="x.csv").events == 3


def test_a_metric_source_is_checked_in_its_connection_versioned_and_audited(small_org):
    metrics(small_org)
    with data.write("default") as session:
        session.execute("CREATE TABLE checkouts (customer VARCHAR, placed TIMESTAMP, ok INTEGER)")
    bob, gus = small_org.actor("bob"), small_org.actor("gus")
    query = "SELECT customer AS unit_id, placed AS ts, ok AS value FROM checkouts;"
    source = services.set_metric_source(actor=bob, metric=PRIMARY, connection="default", query=query)
    assert (source.metric, source.query, source.version) == (PRIMARY, query.rstrip(";"), 1)
    assert services.find_metric_source(actor=gus, metric=PRIMARY) == source
    assert services.find_metric_source(actor=gus, metric=GUARDRAIL) is None
    for bad in (
        "SELECT customer AS unit_id FROM checkouts",  # no ts, value
        "SELECT * FROM no_such_table",
        "DELETE FROM checkouts",
        "SELECT customer AS unit_id, placed AS ts, ok AS value FROM read_csv('/etc/hostname')",
    ):
        with pytest.raises(RuleViolation) as refused:
            services.set_metric_source(actor=bob, metric=PRIMARY, connection="default", query=bad, version=1)
        assert refused.value.field == "query", bad
    with pytest.raises(RuleViolation) as refused:
        services.set_metric_source(actor=bob, metric=PRIMARY, connection="default", query=query)
    assert refused.value.field == "version"
    changed = services.set_metric_source(
        actor=bob, metric=PRIMARY, connection="default", query=query.replace("ok AS", "ok * 1 AS"), version=1
    )
    assert changed.version == 2
    with pytest.raises(Conflict):
        services.set_metric_source(actor=bob, metric=PRIMARY, connection="default", query=query, version=1)
    with pytest.raises(PermissionDenied):
        services.set_metric_source(actor=gus, metric=PRIMARY, connection="default", query=query, version=2)
    with pytest.raises(NotFound):
        services.set_metric_source(actor=bob, metric="no_such_metric", connection="default", query=query)
    page = services.list_metric_sources(actor=gus)
    assert [(s.metric, s.version) for s in page.items] == [(PRIMARY, 2)] and page.total == 1
    history = audit_services.list_changes(actor=gus, subject_type=SOURCE_SUBJECT_TYPE, subject_id=source.metric_id)
    assert [r.verb for r in history.items] == ["set_source", "set_source"]
    assert history.items[0].before["query"] == query.rstrip(";")

"""SQL pulls (MECHANISMS.md §8; docs/metrics.md, SQL pulls): a metric's query run against a real DuckDB file made
here and against the test PostgreSQL server (a table in a schema of its own), only SELECTs, failures stored on the
source and told to the owner, and the worker's job running each due source once per period."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
import time_machine

from mechanisms.kernel import schedule
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, PermissionDenied, RuleViolation
from mechanisms.metrics import services, sql, tasks
from mechanisms.notifications import services as notifications

from .data_helpers import metric, stored

pytestmark = pytest.mark.django_db
WORKER = Actor.system("worker")
QUERY = "SELECT day, value FROM daily_orders ORDER BY day"


@pytest.fixture
def duckdb_file(tmp_path, settings):
    import duckdb

    path = tmp_path / "metrics.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE daily_orders (day DATE, value DOUBLE)")
        conn.execute("INSERT INTO daily_orders VALUES ('2026-01-01', 10), ('2026-01-02', NULL), ('2026-01-03', 12.5)")
    settings.MECH_METRICS_CONNECTIONS = {"default": {"engine": "duckdb", "path": str(path)}}
    return path


def _inbox(o, handle):
    return [i.title for i in notifications.list_inbox(actor=o.actor(handle)).items]


def test_a_duckdb_pull_loads_the_rows_blanks_included_and_is_idempotent(small_org, duckdb_file):
    orders = metric(small_org, "orders")
    source = services.set_sql_source(
        actor=small_org.actor("bob"), metric_id=orders.pk, engine="duckdb", connection="default", query=QUERY
    )
    assert source.version == 1 and source.every_hours == 24
    report = services.run_sql_source(actor=small_org.actor("bob"), metric_id=orders.pk)
    assert (report.added, report.source.value) == (3, "sql")
    assert stored(orders) == {dt.date(2026, 1, 1): 10.0, dt.date(2026, 1, 2): None, dt.date(2026, 1, 3): 12.5}
    again = services.run_sql_source(actor=small_org.actor("bob"), metric_id=orders.pk)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)
    shown = services.get_sql_source(actor=small_org.actor("gus"), metric_id=orders.pk)
    assert (shown.last_status, shown.last_rows, shown.last_error) == ("ok", 3, "")


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM daily_orders",
        "SELECT 1; DROP TABLE daily_orders",
        "INSERT INTO daily_orders VALUES ('2026-02-01', 1)",
        "  ",
    ],
)
def test_only_one_select_statement_is_accepted(small_org, duckdb_file, query):
    orders = metric(small_org, "orders")
    with pytest.raises(RuleViolation) as refused:
        services.set_sql_source(
            actor=small_org.actor("ann"), metric_id=orders.pk, engine="duckdb", connection="default", query=query
        )
    assert refused.value.field == "query"


def test_the_query_check_sees_through_comments_and_strings():
    assert sql.check_query("WITH x AS (SELECT 1) SELECT * FROM x;") == "WITH x AS (SELECT 1) SELECT * FROM x"
    assert sql.check_query("-- daily\nSELECT ';' AS day, 1") == "-- daily\nSELECT ';' AS day, 1"
    with pytest.raises(ValueError, match="only one statement"):
        sql.check_query("SELECT 1 /* ; */; UPDATE t SET a = 1")
    with pytest.raises(ValueError, match="only a SELECT"):
        sql.check_query("/* SELECT */ UPDATE t SET a = 1")


def test_the_duckdb_file_is_opened_read_only(small_org, duckdb_file):
    # A data-modifying statement that slipped past the first check is refused by the engine itself.
    from mechanisms.kernel import warehouse

    with pytest.raises(sql.QueryFailed, match="read-only"):
        warehouse.read("default", "CREATE TABLE evil AS SELECT 1", checked=False)
    # Nor does a SELECT read the server's files.
    with pytest.raises(sql.QueryFailed, match="disabled"):
        sql.run("duckdb", "default", "SELECT * FROM read_csv('/etc/hostname')")


def test_the_connection_and_engine_must_match_the_settings(small_org, duckdb_file):
    orders = metric(small_org, "orders")
    for engine, connection, field in [
        ("duckdb", "nosuch", "connection"),
        ("postgresql", "default", "connection"),
        ("oracle", "default", "engine"),
    ]:
        with pytest.raises(RuleViolation) as refused:
            services.set_sql_source(
                actor=small_org.actor("ann"), metric_id=orders.pk, engine=engine, connection=connection, query=QUERY
            )
        assert refused.value.field == field


def test_changing_a_source_names_the_version_it_read(small_org, duckdb_file):
    orders = metric(small_org, "orders")
    first = services.set_sql_source(
        actor=small_org.actor("ann"), metric_id=orders.pk, engine="duckdb", connection="default", query=QUERY
    )
    changed = services.set_sql_source(
        actor=small_org.actor("ann"),
        metric_id=orders.pk,
        engine="duckdb",
        connection="default",
        query=QUERY,
        every_hours=6,
        version=first.version,
    )
    assert changed.every_hours == 6 and changed.version == 2
    with pytest.raises(Conflict):
        services.set_sql_source(
            actor=small_org.actor("ann"),
            metric_id=orders.pk,
            engine="duckdb",
            connection="default",
            query=QUERY,
            version=first.version,
        )


def test_an_outsider_may_not_set_or_run_a_source(small_org, duckdb_file):
    orders = metric(small_org, "orders")
    with pytest.raises(PermissionDenied):
        services.set_sql_source(
            actor=small_org.actor("eve"), metric_id=orders.pk, engine="duckdb", connection="default", query=QUERY
        )
    services.set_sql_source(
        actor=small_org.actor("ann"), metric_id=orders.pk, engine="duckdb", connection="default", query=QUERY
    )
    with pytest.raises(PermissionDenied):
        services.run_sql_source(actor=small_org.actor("eve"), metric_id=orders.pk)
    with pytest.raises(PermissionDenied):
        services.pull_due_sources(actor=small_org.actor("ann"))  # the worker's job, not a person's


def test_a_failing_query_is_recorded_on_the_source_and_told_to_the_owner(small_org, duckdb_file):
    orders = metric(small_org, "orders", owner="cat")
    services.set_sql_source(
        actor=small_org.actor("ann"),
        metric_id=orders.pk,
        engine="duckdb",
        connection="default",
        query="SELECT day, value FROM no_such_table",
    )
    report = services.pull_due_sources(actor=WORKER)
    assert report.failed == (orders.pk,) and report.pulled == ()
    source = services.get_sql_source(actor=small_org.actor("ann"), metric_id=orders.pk)
    assert source.last_status == "failed" and "no_such_table" in source.last_error
    assert "The SQL pull of orders failed" in _inbox(small_org, "cat")
    with pytest.raises(RuleViolation) as refused:  # run by hand: the same failure, a 400 on the query
        services.run_sql_source(actor=small_org.actor("ann"), metric_id=orders.pk)
    assert refused.value.field == "query"
    assert stored(orders) == {}


def test_rows_that_are_not_day_and_value_fail_the_pull_and_load_nothing(small_org, duckdb_file):
    orders = metric(small_org, "orders")
    services.set_sql_source(
        actor=small_org.actor("ann"),
        metric_id=orders.pk,
        engine="duckdb",
        connection="default",
        query="SELECT 'yesterday' AS day, 1 AS value",
    )
    with pytest.raises(RuleViolation, match="not an ISO date"):
        services.run_sql_source(actor=small_org.actor("ann"), metric_id=orders.pk)
    assert stored(orders) == {}


def test_too_many_rows_fail_the_pull(duckdb_file):
    with pytest.raises(sql.QueryFailed, match="more than 2 rows"):
        sql.run("duckdb", "default", QUERY, limits=sql.Limits(max_rows=2))
    assert len(sql.run("duckdb", "default", QUERY, limits=sql.Limits(max_rows=3))) == 3


def test_the_worker_job_runs_each_due_source_once_per_period(small_org, duckdb_file):
    orders, refunds = metric(small_org, "orders"), metric(small_org, "refunds")
    start = dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        services.set_sql_source(
            actor=small_org.actor("ann"),
            metric_id=orders.pk,
            engine="duckdb",
            connection="default",
            query=QUERY,
            every_hours=24,
        )
        services.set_sql_source(
            actor=small_org.actor("ann"),
            metric_id=refunds.pk,
            engine="duckdb",
            connection="default",
            query=QUERY,
            every_hours=24,
            enabled=False,
        )
        assert tasks.pull_sql_sources.call() == {"pulled": 1, "failed": 0, "skipped": 0}
        assert services.pull_due_sources(actor=WORKER).skipped == 1  # ran this period already
    with time_machine.travel(start + dt.timedelta(hours=23), tick=False):
        assert services.pull_due_sources(actor=WORKER).pulled == ()
    with time_machine.travel(start + dt.timedelta(hours=24, minutes=1), tick=False):
        assert services.pull_due_sources(actor=WORKER).pulled == (orders.pk,)
    assert stored(refunds) == {}  # a disabled source never runs
    assert "metrics.sql_pulls" in {job.name for job in schedule.jobs()}


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL runs only (DATABASE_URL)"
)
def test_a_postgresql_pull_reads_a_table_in_its_own_schema_read_only(small_org, settings):
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(
        host=s["HOST"] or "",
        port=str(s["PORT"] or ""),
        user=s["USER"] or "",
        password=s["PASSWORD"] or "",
        dbname=s["NAME"],
    )
    schema = f"warehouse_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as raw:
        raw.execute(f"CREATE SCHEMA {schema}")
        raw.execute(f"CREATE TABLE {schema}.daily_orders (day date, value numeric)")
        raw.execute(f"INSERT INTO {schema}.daily_orders VALUES ('2026-01-01', 7), ('2026-01-02', NULL)")
    try:
        settings.MECH_METRICS_CONNECTIONS = {"warehouse": {"engine": "postgresql", "dsn": dsn, "timeout_seconds": 5}}
        orders = metric(small_org, "orders")
        services.set_sql_source(
            actor=small_org.actor("ann"),
            metric_id=orders.pk,
            engine="postgresql",
            connection="warehouse",
            query=f"SELECT day, value FROM {schema}.daily_orders",
        )
        report = services.run_sql_source(actor=small_org.actor("ann"), metric_id=orders.pk)
        assert report.added == 2
        assert stored(orders) == {dt.date(2026, 1, 1): 7.0, dt.date(2026, 1, 2): None}
        # The transaction is read-only: a writing CTE that passes the first check is refused by PostgreSQL.
        with pytest.raises(sql.QueryFailed, match="read-only"):
            sql.run(
                "postgresql",
                "warehouse",
                f"WITH gone AS (DELETE FROM {schema}.daily_orders RETURNING day, value) SELECT * FROM gone",
            )
        with pytest.raises(sql.QueryFailed, match="timeout|cancel"):
            sql.run(
                "postgresql",
                "warehouse",
                "SELECT now()::date, 1 FROM pg_sleep(3)",
                limits=sql.Limits(timeout_seconds=1),
            )
    finally:
        with psycopg.connect(dsn, autocommit=True) as raw:
            raw.execute(f"DROP SCHEMA {schema} CASCADE")

"""Metric events and sources through their doors: the API (a CSV body or a multipart upload, problems listed with
line and field, 401 for nobody, a source set and read back, 409 on a stale version, 409 while the DuckDB file is
busy) and the CLI (exit 2 naming the file, the line and the field; JSON out)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from typer.testing import CliRunner

from mechanisms.experiments import warehouse
from mechanisms.experiments.cli import experiments as experiments_cli
from mechanisms.kernel import warehouse as data

from .helpers import GUARDRAIL, PRIMARY, metrics
from .sql_helpers import held_by_another_process

pytestmark = pytest.mark.django_db

GOOD = f"metric,unit_id,ts,value\n{PRIMARY},u1,2026-03-02T10:00:00Z,1\n{GUARDRAIL},u1,2026-03-02,250\n"
SOURCE = "SELECT customer AS unit_id, placed AS ts, amount AS value FROM orders"


def _count() -> int:
    warehouse.create_tables("default")
    return data.read("default", "SELECT COUNT(*) FROM mech_metric_events")[0][0]


def test_the_api_loads_an_events_csv_as_a_body_or_an_upload_and_lists_its_problems(small_org, as_):
    metrics(small_org)
    url = "/api/v1/experiment-events"
    sent = as_("bob").post(f"{url}?file_name=march.csv", data=GOOD, content_type="text/csv")
    assert sent.status_code == 201, sent.content
    assert sent.json()["events"] == 2 and sent.json()["per_metric"] == {GUARDRAIL: 1, PRIMARY: 1}
    upload = SimpleUploadedFile("april.csv", GOOD.encode(), content_type="text/csv")
    uploaded = as_("cat").post(url, data={"file": upload})
    assert uploaded.status_code == 201 and uploaded.json()["file_name"] == "april.csv"
    bad = as_("bob").post(url, data=GOOD + "nope,u2,2026-03-02,1\n", content_type="text/csv")
    assert bad.status_code in (400, 422)
    problems = (
        bad.json()["error"]["details"]["problems"] if "error" in bad.json() else bad.json()["details"]["problems"]
    )
    assert [p["field"] for p in problems] == ["line 4: metric"]
    assert Client().post(url, data=GOOD, content_type="text/csv").status_code == 401
    assert as_("dan").post(url, data=GOOD, content_type="text/csv").status_code == 403  # not the metrics' team
    assert _count() == 4


def test_the_api_sets_and_reads_a_metric_source(small_org, as_):
    metrics(small_org)
    with data.write("default") as session:
        session.execute("CREATE TABLE orders (customer VARCHAR, placed TIMESTAMP, amount DOUBLE)")
    url = f"/api/v1/experiment-metric-sources/{GUARDRAIL}"
    assert as_("gus").get(url).status_code == 404
    created = as_("bob").put(url, data=json.dumps({"query": SOURCE}), content_type="application/json")
    assert created.status_code == 200, created.content
    assert created.json()["version"] == 1 and created.json()["connection"] == "default"
    assert as_("gus").get(url).json()["query"] == SOURCE
    stale = as_("bob").put(url, data=json.dumps({"query": SOURCE, "version": 9}), content_type="application/json")
    assert stale.status_code == 409
    wrong = as_("bob").put(
        url, data=json.dumps({"query": "SELECT 1 AS unit_id", "version": 1}), content_type="application/json"
    )
    assert wrong.status_code in (400, 422) and "query" in wrong.content.decode()
    listed = as_("gus").get("/api/v1/experiment-metric-sources").json()
    assert listed["total"] == 1 and listed["items"][0]["metric"] == GUARDRAIL


def test_a_busy_duckdb_file_is_a_409_not_a_500(small_org, as_, duckdb_warehouse, settings):
    metrics(small_org)
    warehouse.create_tables("default")
    settings.MECH_METRICS_CONNECTIONS = {
        "default": {"engine": "duckdb", "path": str(duckdb_warehouse), "busy_retries": 1}
    }
    with held_by_another_process(duckdb_warehouse):
        sent = as_("bob").post("/api/v1/experiment-events", data=GOOD, content_type="text/csv")
        assert sent.status_code == 409 and "busy" in sent.content.decode()
    assert _count() == 0


def test_the_cli_loads_events_and_names_the_file_line_and_field_of_each_problem(small_org, tmp_path):
    metrics(small_org)
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + f"{PRIMARY},u2,not-a-time,1\n")
    result = runner.invoke(experiments_cli, ["events", "load", str(bad), "--as", "bob"])
    assert result.exit_code == 2 and f"{bad}: line 4: ts:" in result.output
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    result = runner.invoke(experiments_cli, ["events", "load", str(good), "--as", "bob", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["events"] == 2
    result = runner.invoke(experiments_cli, ["sources", "show", PRIMARY, "--as", "gus"])
    assert result.exit_code == 1 and "no source" in result.output
    result = runner.invoke(experiments_cli, ["sources", "set", PRIMARY, "--query", "DELETE FROM x", "--as", "bob"])
    assert result.exit_code == 1 and "(query)" in result.output

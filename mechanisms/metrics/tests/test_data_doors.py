"""The data doors (docs/metrics.md, Data): the API's push, CSV upload (text/csv and multipart), loads, values,
completeness and SQL source; the CLI's load (a bad file names its line and field, exit 2), push, values and
completeness; anonymous callers refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from mechanisms.kernel.testing import error_of, field_of
from mechanisms.metrics.cli import metrics as app

from .data_helpers import metric, stored

pytestmark = pytest.mark.django_db
runner = CliRunner()
CSV = b"date,metric,value\n2026-01-01,orders,10\n2026-01-02,orders,\n"


def test_the_api_takes_a_csv_as_text_and_as_multipart_and_lists_the_loads(small_org, as_):
    orders = metric(small_org, "orders")
    sent = as_("bob").post("/api/v1/metric-loads?file_name=o.csv", data=CSV, content_type="text/csv")
    assert sent.status_code == 201, sent.content
    assert sent.json()["added"] == 2 and sent.json()["file_name"] == "o.csv"
    upload = SimpleUploadedFile("again.csv", CSV, content_type="text/csv")
    again = as_("bob").post("/api/v1/metric-loads", data={"file": upload})
    assert again.status_code == 201, again.content
    assert (again.json()["unchanged"], again.json()["file_name"]) == (2, "again.csv")
    assert stored(orders) == {dt.date(2026, 1, 1): 10.0, dt.date(2026, 1, 2): None}
    listed = as_("gus").get(f"/api/v1/metric-loads?metric_id={orders.pk}&limit=1")
    assert listed.status_code == 200
    assert listed.json()["total"] == 2 and len(listed.json()["items"]) == 1


def test_a_bad_csv_is_a_400_naming_the_line_and_field_with_every_problem(small_org, as_):
    metric(small_org, "orders")
    bad = b"date,metric,value\n2026-01-01,orders,ten\n2026-01-02,orders,1,2\n"
    sent = as_("ann").post("/api/v1/metric-loads", data=bad, content_type="text/csv")
    assert sent.status_code == 400
    assert field_of(sent) == "line 2: value"
    assert [p["field"] for p in error_of(sent)["details"]["problems"]] == ["line 2: value", "line 3: row"]


def test_an_outsider_gets_403_and_anonymous_401(small_org, as_, api_client):
    orders = metric(small_org, "orders")
    assert as_("eve").post("/api/v1/metric-loads", data=CSV, content_type="text/csv").status_code == 403
    pushed = as_("eve").post(
        f"/api/v1/metrics/{orders.pk}/values", data={"values": [{"day": "2026-01-01", "value": 1}]},
        content_type="application/json",
    )  # fmt: skip
    assert pushed.status_code == 403
    anonymous = api_client(None)
    assert anonymous.get(f"/api/v1/metrics/{orders.pk}/values").status_code == 401
    assert anonymous.post("/api/v1/metric-loads", data=CSV, content_type="text/csv").status_code == 401
    assert stored(orders) == {}


def test_the_api_push_then_values_and_completeness(small_org, as_):
    orders = metric(small_org, "orders")
    days = [dt.date(2026, 1, 4) + dt.timedelta(days=i) for i in range(7)]  # Sunday .. Saturday 2026-01-10
    values = [{"day": d.isoformat(), "value": None if i == 2 else i} for i, d in enumerate(days) if i != 4]
    pushed = as_("cat").post(
        f"/api/v1/metrics/{orders.pk}/values", data={"values": values}, content_type="application/json"
    )
    assert pushed.status_code == 200, pushed.content
    assert pushed.json()["added"] == 6
    series = as_("gus").get(f"/api/v1/metrics/{orders.pk}/values?start=2026-01-04&end=2026-01-10").json()
    assert series["missing"] == ["2026-01-08"]
    assert {"day": "2026-01-06", "value": None} in series["points"]
    check = as_("gus").get(f"/api/v1/metrics/{orders.pk}/completeness?start=2026-01-10&end=2026-01-10").json()
    assert check["complete"] is False
    assert check["weeks"] == [
        {"week_ending": "2026-01-10", "expected": 7, "missing": ["2026-01-08"], "blank": ["2026-01-06"],
         "complete": False},
    ]  # fmt: skip
    bad = as_("cat").post(
        f"/api/v1/metrics/{orders.pk}/values", data={"values": [{"day": 0, "value": 1}]},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 422
    assert as_("cat").get("/api/v1/metrics/999999/values").status_code == 404


def test_the_api_sql_source_set_show_and_run(small_org, as_, tmp_path, settings):
    import duckdb

    path = tmp_path / "m.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE t AS SELECT DATE '2026-01-01' AS day, 5.0 AS value")
    settings.MECH_METRICS_CONNECTIONS = {"default": {"engine": "duckdb", "path": str(path)}}
    orders = metric(small_org, "orders")
    url = f"/api/v1/metrics/{orders.pk}/sql-source"
    assert as_("ann").get(url).status_code == 404
    body = {"engine": "duckdb", "connection": "default", "query": "SELECT day, value FROM t"}
    made = as_("ann").put(url, data=body, content_type="application/json")
    assert made.status_code == 200, made.content
    refused = as_("ann").put(url, data={**body, "query": "DROP TABLE t"}, content_type="application/json")
    assert refused.status_code == 400 and field_of(refused) == "query"
    stale = as_("ann").put(url, data={**body, "version": 99}, content_type="application/json")
    assert stale.status_code == 409
    ran = as_("ann").post(f"{url}/run")
    assert ran.status_code == 200 and ran.json()["added"] == 1
    assert as_("gus").get(url).json()["last_status"] == "ok"


def test_the_cli_loads_a_file_and_a_bad_file_exits_2_naming_file_line_and_field(small_org, tmp_path):
    orders = metric(small_org, "orders")
    good = tmp_path / "orders.csv"
    good.write_bytes(CSV)
    loaded = runner.invoke(app, ["load", str(good), "--as", "ann"])
    assert loaded.exit_code == 0, loaded.output
    assert "2 added, 0 changed, 0 unchanged" in loaded.output
    again = runner.invoke(app, ["load", str(good), "--as", "ann", "--format", "json"])
    assert json.loads(again.output)["unchanged"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"date,metric,value\n2026-01-03,orders,1\n2026-01-04,orders,many\n")
    refused = runner.invoke(app, ["load", str(bad), "--as", "ann"])
    assert refused.exit_code == 2
    assert f"{bad}: line 3: value" in refused.output
    assert dt.date(2026, 1, 3) not in stored(orders)
    outsider = runner.invoke(app, ["load", str(good), "--as", "eve"])
    assert outsider.exit_code == 1


def test_the_cli_push_values_and_completeness(small_org):
    metric(small_org, "orders")
    pushed = runner.invoke(app, ["push", "orders", "--value", "2026-01-10=3", "--value", "2026-01-09=", "--as", "bob"])
    assert pushed.exit_code == 0, pushed.output
    shown = runner.invoke(app, ["values", "orders", "--start", "2026-01-08", "--end", "2026-01-10"])
    assert "2026-01-09  N/A (blank)" in shown.output and "missing: 2026-01-08" in shown.output
    check = runner.invoke(app, ["completeness", "orders", "--start", "2026-01-10", "--end", "2026-01-10"])
    assert check.exit_code == 1 and "INCOMPLETE" in check.output
    bad = runner.invoke(app, ["push", "orders", "--value", "yesterday=3", "--as", "bob"])
    assert bad.exit_code == 2 and "--value 1" in bad.output

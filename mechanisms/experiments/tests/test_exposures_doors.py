"""The doors of assignment and exposures (issue 13 item 2): the API's single and batch assignment, the bulk
exposures and their summary, and `mech experiments assign|expose`. The rules themselves are test_exposures.py's."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.experiments import services
from mechanisms.experiments.cli import experiments as app
from mechanisms.experiments.tests.helpers import SYSTEM, experiment, started
from mechanisms.kernel.testing import error_of, field_of

pytestmark = pytest.mark.django_db
runner = CliRunner()


def test_the_assignment_endpoints_answer_what_the_service_answers(small_org, as_):
    view = started(small_org)
    client = as_("eve")
    one = client.get(f"/api/v1/experiments/{view.key}/assignment", {"unit": "user-1"})
    assert one.status_code == 200, one.content
    expected = services.assign_unit(actor=SYSTEM, key=view.key, unit_id="user-1")
    assert one.json() == {
        "experiment": view.key,
        "unit_id": "user-1",
        "variation": expected.variation,
        "index": expected.index,
        "hash_version": 2,
        "bucket": expected.bucket,
    }
    draft = experiment(small_org, "later-test")
    batch = client.post(
        "/api/v1/experiments/assignments",
        {"units": ["user-1", "user-2"], "experiments": [view.key, draft.key]},
        content_type="application/json",
    )
    assert batch.status_code == 200, batch.content
    items = batch.json()["items"]
    assert items[0] == one.json()
    assert [(i["experiment"], i["unit_id"]) for i in items] == [
        (view.key, "user-1"),
        (view.key, "user-2"),
        (draft.key, "user-1"),
        (draft.key, "user-2"),
    ]
    assert items[2]["variation"] is None and items[3]["variation"] is None


def test_the_assignment_endpoints_refuse_naming_the_field(small_org, as_, api_client):
    view = started(small_org)
    client = as_("eve")
    assert api_client(None).get(f"/api/v1/experiments/{view.key}/assignment", {"unit": "u"}).status_code == 401
    missing = client.get("/api/v1/experiments/no-such/assignment", {"unit": "u"})
    assert missing.status_code == 404
    bad = client.get(f"/api/v1/experiments/{view.key}/assignment", {"unit": "x" * 201})
    assert bad.status_code == 400 and field_of(bad) == "unit_id"
    too_many = client.post(
        "/api/v1/experiments/assignments",
        {"units": [f"u{i}" for i in range(600)], "experiments": [view.key, view.key]},
        content_type="application/json",
    )
    assert too_many.status_code == 400 and field_of(too_many) == "units"
    unknown = client.post(
        "/api/v1/experiments/assignments",
        {"units": ["u"], "experiments": [view.key, "gone"]},
        content_type="application/json",
    )
    assert unknown.status_code == 404 and field_of(unknown) == "experiments[1]"


def test_exposures_through_the_api_are_idempotent_and_refused_whole(small_org, as_):
    view = started(small_org)
    client = as_("eve")
    url = f"/api/v1/experiments/{view.key}/exposures"
    body = {"exposures": [{"unit_id": f"v{i}"} for i in range(30)]}
    first = client.post(url, body, content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json() == {"recorded": 30, "repeated": 0}
    assert client.post(url, body, content_type="application/json").json() == {"recorded": 0, "repeated": 30}
    right = services.assign_unit(actor=SYSTEM, key=view.key, unit_id="w1").variation
    wrong = "b" if right == "control" else "control"
    refused = client.post(
        url,
        {"exposures": [{"unit_id": "w0", "at": "2020-01-01T00:00:00Z"}, {"unit_id": "w1", "variation": wrong}]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and field_of(refused) == "exposures[0].at", error_of(refused)
    refused = client.post(
        url, {"exposures": [{"unit_id": "w0"}, {"unit_id": "w1", "variation": wrong}]}, content_type="application/json"
    )
    assert refused.status_code == 400 and field_of(refused) == "exposures[1].variation"
    not_a_time = client.post(url, {"exposures": [{"unit_id": "w0", "at": 5}]}, content_type="application/json")
    assert not_a_time.status_code == 422 and field_of(not_a_time) == "exposures.0.at"
    summary = client.get(url)
    assert summary.status_code == 200
    data = summary.json()
    assert data["variations"] == ["control", "b"] and sum(data["counts"]) == 30
    assert [sum(d["counts"]) for d in data["series"]] == [30]


def test_the_cli_assigns_and_records_exposures_from_a_csv(small_org, tmp_path):
    view = started(small_org)
    assigned = runner.invoke(app, ["assign", view.key, "u1", "u2", "--as", "eve", "--format", "json"])
    assert assigned.exit_code == 0, assigned.output
    answers = json.loads(assigned.output)
    assert [a["variation"] for a in answers] == [
        services.assign_unit(actor=SYSTEM, key=view.key, unit_id=u).variation for u in ("u1", "u2")
    ]
    good = tmp_path / "exposures.csv"
    right = services.assign_unit(actor=SYSTEM, key=view.key, unit_id="c3").variation
    good.write_text(f"unit_id,at,variation\nc1\nc2,,\nc3,,{right}\n")
    done = runner.invoke(app, ["expose", view.key, str(good), "--as", "eve"])
    assert done.exit_code == 0, done.output
    assert "3 exposures recorded, 0 units already exposed" in done.output
    again = runner.invoke(app, ["expose", view.key, str(good), "--format", "json"])
    assert json.loads(again.output) == {"recorded": 0, "repeated": 3}
    wrong = "b" if right == "control" else "control"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"c4\nc5,not-a-time\nc3,,{wrong}\n")
    refused = runner.invoke(app, ["expose", view.key, str(bad)])
    assert refused.exit_code == 2 and "bad.csv: line 2: at:" in refused.output
    bad.write_text(f"c4\n\nc3,,{wrong}\n")
    refused = runner.invoke(app, ["expose", view.key, str(bad)])
    assert refused.exit_code == 2 and "bad.csv: line 3: variation:" in refused.output, refused.output
    assert sum(services.exposure_counts(actor=SYSTEM, key=view.key)) == 3
    missing = runner.invoke(app, ["assign", "no-such-test", "u1"])
    assert missing.exit_code == 1 and "does not exist" in missing.output

"""The experiments registry through its doors: the API (define, list, show with your moves, edit a draft, plan
revisions after start, the machine's endpoints by key; errors naming the field, 409, 422), the CLI (define from a
YAML plan file naming file, line and field; show; a transition) and the authorization matrix (reads: anyone signed
in; writes: the team or an admin; nobody signed in: 401)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.test import Client
from typer.testing import CliRunner

from mechanisms.experiments import plans, services
from mechanisms.experiments.cli import experiments as experiments_cli
from mechanisms.experiments.tests.helpers import GUARDRAIL, OUTPUT, PRIMARY, SYSTEM, experiment, metrics, started
from mechanisms.kernel.testing import Door, api_door, check_matrix, cli_door, error_of, field_of, outcome_of_status

pytestmark = pytest.mark.django_db


def _send(client, method, url, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _definition(o, **plan):
    return {
        "key": "one-click",
        "name": "One click",
        "hypothesis": "Fewer steps raise conversion.",
        "team_id": o.teams["checkout"].id,
        "owner_id": o.people["bob"].id,
        "service_id": o.services["checkout-api"].id,
        "plan": {
            "variations": [{"key": "control", "weight": 0.5}, {"key": "b", "name": "One click", "weight": 0.5}],
            "primary": {"metric": PRIMARY, "statistic": "proportion"},
            "guardrails": [{"metric": GUARDRAIL, "tolerance": 0.05}],
            "planned_sample_size": 20000,
            **plan,
        },
    }


def test_the_api_defines_shows_edits_starts_and_revises(small_org, as_):
    o = small_org
    metrics(o)
    url = "/api/v1/experiments"
    created = _send(as_("bob"), "post", url, _definition(o))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "draft" and body["plan"]["variations"][1]["name"] == "One click"
    shown = as_("gus").get(f"{url}/one-click").json()
    assert shown["actions"] == [] and shown["may_edit"] is False and shown["owner_name"] == "Bob Ruiz"
    assert as_("cat").get(f"{url}/one-click").json()["actions"] == ["start", "cancel"]
    listed = as_("gus").get(url, {"state": "draft"}).json()
    assert listed["total"] == 1 and listed["items"][0]["key"] == "one-click"

    edited = _send(as_("cat"), "patch", f"{url}/one-click", {"version": 1, "name": "One-click checkout"})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = _send(as_("cat"), "patch", f"{url}/one-click", {"version": 1, "name": "Stale"})
    assert stale.status_code == 409 and field_of(stale) == "version"
    start = _send(as_("bob"), "post", f"{url}/one-click/start", {"version": 2})
    assert start.status_code == 200 and start.json()["state"] == "running" and start.json()["started_at"]

    frozen = _send(as_("bob"), "patch", f"{url}/one-click", {"version": 3, "plan": _definition(o)["plan"]})
    assert frozen.status_code == 400 and field_of(frozen) == "plan" and "frozen since" in error_of(frozen)["message"]
    moved = _definition(o)["plan"] | {"variations": [{"key": "control", "weight": 0.6}, {"key": "b", "weight": 0.4}]}
    refused = _send(as_("bob"), "post", f"{url}/one-click/plans", {"version": 3, "plan": moved, "reason": "more B"})
    assert refused.status_code == 400 and field_of(refused) == "plan.variations"
    revision = _definition(o)["plan"] | {"planned_sample_size": 40000}
    filed = _send(as_("bob"), "post", f"{url}/one-click/plans", {"version": 3, "plan": revision, "reason": "Slower."})
    assert filed.status_code == 201 and filed.json()["plan_number"] == 2
    versions = as_("eve").get(f"{url}/one-click/plans").json()
    assert [(v["number"], v["after_start"], v["changed"]) for v in versions["items"]] == [
        (1, False, []),
        (2, True, ["planned_sample_size"]),
    ]


@pytest.mark.parametrize(
    ("plan", "status", "field"),
    [
        ({"variations": [{"key": "control", "weight": 0.5}, {"key": "b", "weight": 0.4}]}, 400, "plan.variations"),
        ({"primary": {"metric": OUTPUT}}, 400, "plan.primary.metric"),
        ({"mde": 0}, 400, "plan.mde"),
        ({"engine": "magic"}, 422, None),
        ({"surprise": 1}, 422, None),
    ],
    ids=["weights", "output-metric", "mde", "engine", "unknown-field"],
)
def test_bad_input_through_the_api_names_the_field_and_writes_nothing(small_org, as_, plan, status, field):
    o = small_org
    metrics(o)
    response = _send(as_("bob"), "post", "/api/v1/experiments", _definition(o, **plan))
    assert response.status_code == status, response.content
    if field:
        assert field_of(response) == field
    assert services.list_experiments(actor=SYSTEM).total == 0


PLAN_YAML = """\
key: yaml-test
name: From a file
hypothesis: A file defines it.
team: checkout
owner: bob
service: checkout-api
plan:
  variations:
    - key: control
      weight: 0.5
    - key: b
      weight: {weight}
  primary:
    metric: {primary}
    statistic: proportion
  planned_sample_size: 1000
"""


def test_the_cli_defines_from_a_yaml_file_naming_file_line_and_field(small_org, tmp_path):
    o = small_org
    metrics(o)
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text(PLAN_YAML.format(weight=0, primary=PRIMARY))
    result = runner.invoke(experiments_cli, ["define", str(bad), "--as", "bob"])
    assert result.exit_code == 2
    assert f"{bad}:12: plan.variations[1].weight:" in result.output
    output = tmp_path / "output.yaml"
    output.write_text(PLAN_YAML.format(weight=0.5, primary=OUTPUT))
    result = runner.invoke(experiments_cli, ["define", str(output), "--as", "bob"])
    assert result.exit_code == 2 and f"{output}:14: plan.primary.metric:" in result.output
    assert services.list_experiments(actor=SYSTEM).total == 0

    good = tmp_path / "good.yaml"
    good.write_text(PLAN_YAML.format(weight=0.5, primary=PRIMARY))
    result = runner.invoke(experiments_cli, ["define", str(good), "--as", "bob", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["plan"]["planned_sample_size"] == 1000
    result = runner.invoke(experiments_cli, ["start", "yaml-test", "--version", "1", "--as", "cat"])
    assert result.exit_code == 0 and "[running]" in result.output and "you may: stop" in result.output
    result = runner.invoke(experiments_cli, ["show", "yaml-test", "--as", "eve", "--format", "json"])
    shown = json.loads(result.output)
    assert shown["state"] == "running" and shown["actions"] == []


def _version(record) -> int:
    return services.get_experiment(actor=SYSTEM, key=record.key).version


def _bigger_plan(record) -> dict:
    """The current plan with one more planned unit: a revision after start, an edit of a draft."""
    current = services.get_experiment(actor=SYSTEM, key=record.key).plan
    return plans.plan_to_dict(dataclasses.replace(current, planned_sample_size=current.planned_sample_size + 1))


def _api_write_door(as_) -> Door:
    """A draft is edited (PATCH its plan); a running experiment gets a plan revision (POST .../plans)."""

    def probe(handle, record):
        client = as_(handle) if handle else Client()
        url = f"/api/v1/experiments/{record.key}"
        if record.state.value == "draft":
            response = _send(client, "patch", url, {"version": _version(record), "plan": _bigger_plan(record)})
        else:
            body = {"version": _version(record), "plan": _bigger_plan(record), "reason": "more units"}
            response = _send(client, "post", f"{url}/plans", body)
        return outcome_of_status(response.status_code)

    return Door("api write", probe, prepare=lambda handle: as_(handle) if handle else None)


def _cli_write_door(tmp_path) -> Door:
    """`mech experiments edit --plan` on a draft, `revise --plan --reason` on a running experiment."""

    def args(record):
        path = tmp_path / f"{record.key}-{_version(record)}.json"
        path.write_text(json.dumps(_bigger_plan(record)))
        version = str(_version(record))
        if record.state.value == "draft":
            return ["edit", record.key, "--version", version, "--plan", str(path)]
        return ["revise", record.key, "--version", version, "--plan", str(path), "--reason", "more units"]

    return cli_door(experiments_cli, args, name="cli write")


def test_who_reads_and_who_writes_through_the_api_and_the_cli(small_org, as_, tmp_path):
    o = small_org
    records = {"draft": experiment(o), "running": started(o, "running-one")}
    check_matrix(
        """
                  draft    running
        anonymous 401      401
        reader    allowed  allowed
        member    allowed  allowed
        """,
        doors=[
            api_door(lambda r: f"/api/v1/experiments/{r.key}", client_for=as_),
            api_door(lambda r: f"/api/v1/experiments/{r.key}/plans", client_for=as_, name="api plans"),
        ],
        records=records,
        roles={"reader": "gus", "member": "cat"},
    )
    check_matrix(
        """
                 draft    running
        reader   allowed  allowed
        payments allowed  allowed
        """,
        doors=[cli_door(experiments_cli, lambda r: ["show", r.key])],
        records=records,
        roles={"reader": "gus", "payments": "eve"},
    )
    check_matrix(
        """
                  draft    running
        anonymous 401      401
        reader    403      403
        member    allowed  allowed
        admin     allowed  allowed
        """,
        doors=[_api_write_door(as_)],
        records=records,
        roles={"reader": "gus", "member": "cat"},
        unchanged=_version,
    )
    check_matrix(
        """
                 draft    running
        reader   403      403
        member   allowed  allowed
        """,
        doors=[_cli_write_door(tmp_path)],
        records=records,
        roles={"reader": "eve", "member": "ann"},
        unchanged=_version,
    )

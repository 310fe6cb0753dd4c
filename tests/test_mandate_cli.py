"""`mech mandate ...` in-process on the test database, and `mech check --server` against the API."""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.error
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from mechanisms.catalog import services as catalog_services
from mechanisms.config.cli import app
from mechanisms.interop.cli import check_server
from mechanisms.kernel.actor import Actor
from mechanisms.org.contracts import OrgUnitChanges

runner = CliRunner()
SYSTEM = Actor.system("test")
pytestmark = pytest.mark.django_db


@pytest.fixture
def back_door(small_org):
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["ledger-db"].id,
    )
    return small_org


def test_evaluate_findings_scorecard_conway(back_door):
    result = runner.invoke(app, ["mandate", "evaluate", "--format", "json"])
    assert result.exit_code == 1, result.output  # unwaived errors
    assert json.loads(result.output)["by_rule"]["mandate/back-door"] == 1
    args = ["mandate", "findings", "--rule", "mandate/back-door", "--format", "json"]
    found = json.loads(runner.invoke(app, args).output)
    assert found["items"][0]["subject"] == "component:default/checkout-api"
    card = json.loads(runner.invoke(app, ["mandate", "scorecard", "checkout", "--format", "json"]).output)
    assert card["by_rule"]["mandate/back-door"] == 1 and len(card["history"]) == 1
    assert runner.invoke(app, ["mandate", "scorecard", "checkout"]).exit_code == 0
    conway = json.loads(runner.invoke(app, ["mandate", "conway", "--format", "json"]).output)
    assert {t["slug"] for t in conway["teams"]} == {"checkout", "payments", "identity"}
    assert runner.invoke(app, ["mandate", "conway"]).exit_code == 0


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _opener(client):
    """urlopen through Django's test client, so `check --server` talks to the real API in-process."""

    def open_url(request, timeout=None):
        url = urlsplit(request.full_url)
        response = client.get(f"{url.path}?{url.query}", HTTP_AUTHORIZATION=request.get_header("Authorization"))
        if response.status_code != 200:
            raise urllib.error.HTTPError(request.full_url, response.status_code, "error", {}, None)
        return _Response(response.content)

    return open_url


def test_check_server_reads_every_page_and_exits_1_on_errors(back_door, monkeypatch, client):
    from mechanisms.mandate import services as mandate_services
    from mechanisms.org import services as org_services

    mandate_services.evaluate_org(actor=SYSTEM)
    token = org_services.issue_api_token(actor=back_door.actor("bob"), name="ci")
    monkeypatch.setenv("MECH_TOKEN", token.secret)
    monkeypatch.setattr("mechanisms.interop.cli.SERVER_PAGE", 1)
    out, err = io.StringIO(), io.StringIO()
    code = check_server("http://testserver", output_format="json", out=out, err=err, opener=_opener(client))
    assert code == 1, err.getvalue()
    report = json.loads(out.getvalue())
    assert ("mandate/back-door", "component:default/checkout-api") in {
        (f["rule"], f["subject"]) for f in report["findings"]
    }
    assert len(report["findings"]) == mandate_services.list_findings(actor=SYSTEM).total > 1


def test_check_server_without_token_exits_2(back_door, monkeypatch, client):
    monkeypatch.delenv("MECH_TOKEN", raising=False)
    err = io.StringIO()
    assert check_server("http://testserver", out=io.StringIO(), err=err, opener=_opener(client)) == 2
    assert "MECH_TOKEN" in err.getvalue()


FUTURE = (dt.date.today() + dt.timedelta(days=90)).isoformat()
WAIVE = [
    "mandate",
    "waive",
    "mandate/back-door",
    "component:default/checkout-api",
    "--reason",
    "Moving to the ledger API by Q3.",
    "--expires",
    FUTURE,
    "--approver",
    "hal",
    "--related",
    "resource:default/ledger-db",
    "--as",
    "bob",
]


def test_waive_list_revoke_and_unit_scorecard(back_door):
    from mechanisms.org import services as org_services

    result = runner.invoke(app, [*WAIVE, "--format", "json"])
    assert result.exit_code == 0, result.output
    waiver = json.loads(result.output)
    assert waiver["approver_handle"] == "hal" and waiver["related"] == "resource:default/ledger-db"
    assert waiver["state"] == "pending"
    # Its approval comes through its bar-raiser review: hal recommends, bob (the requester) accepts.
    review = str(waiver["review_id"])
    result = runner.invoke(
        app,
        ["bar-raisers", "recommend", review, "--version", "1", "--recommendation", "approve", "--as", "hal"]
        + ["--reasoning", "The ledger API lands this quarter."],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["bar-raisers", "accept", review, "--version", "2", "--as", "bob"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(app, ["mandate", "waivers", "--format", "json"]).output)
    assert [w["id"] for w in listed["items"]] == [waiver["id"]]
    for team, total in (("checkout", 1), ("identity", 0)):
        args = ["mandate", "waivers", "--team", team, "--format", "json"]
        assert json.loads(runner.invoke(app, args).output)["total"] == total
    text = runner.invoke(app, ["mandate", "waivers"]).output
    assert "hal" in text and "active" in text and "1-1 of 1" in text

    assert runner.invoke(app, ["mandate", "evaluate"]).exit_code == 1  # other errors remain
    unit = org_services.find_org_unit(actor=Actor.system("test"), slug="retail")
    org_services.update_org_unit(
        actor=SYSTEM,
        org_unit_id=unit.id,
        version=unit.version,
        changes=OrgUnitChanges(leader_id=back_door.people["vp-retail"].id),
    )
    card = json.loads(runner.invoke(app, ["mandate", "unit-scorecard", "retail", "--format", "json"]).output)
    assert card["kind"] == "org_unit" and card["by_rule"]["mandate/back-door"] == 1 and card["waived"] == 1
    assert len(card["history"]) == 1 and set(card["team_ids"]) == {
        back_door.teams["checkout"].id,
        back_door.teams["payments"].id,
    }
    assert runner.invoke(app, ["mandate", "unit-scorecard", "acme"]).exit_code == 0

    result = runner.invoke(app, ["mandate", "revoke", str(waiver["id"]), "--reason", "the API is live"])
    assert result.exit_code == 0 and "revoked" in result.output
    for state, total in (("active", 0), ("revoked", 1), ("expired", 0), ("all", 1)):
        args = ["mandate", "waivers", "--state", state, "--format", "json"]
        assert json.loads(runner.invoke(app, args).output)["total"] == total


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("--expires", "2026-13-01", 2),  # not a date: a usage error
        ("--expires", "2020-01-01", 1),  # in the past: the service refuses
        ("--approver", "eve", 1),  # not in the bar-raiser pool
        ("--approver", "nobody", 1),
        ("--reason", "  ", 1),
        ("RULE", "mandate/nope", 1),
        ("SUBJECT", "component:default/nope", 1),
        ("--as", "nobody", 1),
    ],
)
def test_waive_refuses_bad_input_naming_the_field(back_door, field, value, code):
    from mechanisms.mandate import services as mandate_services

    args = list(WAIVE)
    position = {"RULE": 2, "SUBJECT": 3}.get(field)
    args[position if position is not None else args.index(field) + 1] = value
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert field in result.stderr or value in result.stderr
    assert mandate_services.list_waivers(actor=SYSTEM, state="all").total == 0


def test_waiver_commands_refuse_unknown_states_teams_units_and_waivers(back_door):
    result = runner.invoke(app, ["mandate", "waivers", "--state", "bogus"])
    assert result.exit_code == 1 and "--state" in result.stderr
    result = runner.invoke(app, ["mandate", "waivers", "--team", "nope"])
    assert result.exit_code == 1 and "--team" in result.stderr
    result = runner.invoke(app, ["mandate", "revoke", "999999"])
    assert result.exit_code == 1 and "WAIVER_ID" in result.stderr
    result = runner.invoke(app, ["mandate", "unit-scorecard", "nope"])
    assert result.exit_code == 1 and "nope" in result.stderr

"""`mech mandate ...` in-process on the test database, and `mech check --server` against the API."""

from __future__ import annotations

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

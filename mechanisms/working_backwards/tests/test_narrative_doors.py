"""Narratives through their doors: the API (shapes, 4xx naming the field, 404 for outsiders of a confidential one,
409 on a stale revision), the pages (list, new, detail with its check and sessions, edit, start a session) and the
CLI (the offline `check`, exit 1 on findings; list, show, start-session)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.kernel.testing import field_of, signed_in
from mechanisms.working_backwards import services
from mechanisms.working_backwards.cli import narratives as narratives_cli

API = "/api/v1/narratives"
BODY = "\n\n".join(["Customers wait nine days for a refund, and they tell us so in every survey we run."] * 4)


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _put(client, url, body):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def _create(small_org, **kwargs):
    values = {"title": "Refunds in a day", "team_id": small_org.teams["checkout"].id, "body": BODY, **kwargs}
    return services.create_narrative(actor=small_org.actor("ann"), **values)


def test_the_api_creates_reads_revises_and_checks_a_narrative(small_org, as_):
    ann = as_("ann")
    made = _post(ann, API, {"title": "Refunds", "team_id": small_org.teams["checkout"].id, "body": BODY})
    assert made.status_code == 201, made.content
    nid = made.json()["id"]
    got = as_("eve").get(f"{API}/{nid}").json()
    assert got["check"]["ok"] and got["body"] == BODY and not got["can_revise"]
    assert as_("eve").get(API).json()["total"] == 1
    revised = _put(ann, f"{API}/{nid}/body", {"appendix": "| a |\n|---|\n| 1 |", "version": got["document_version"]})
    assert revised.status_code == 200 and revised.json()["revision"] == 2
    stale = _put(ann, f"{API}/{nid}/body", {"body": "Stale.", "version": got["document_version"]})
    assert stale.status_code == 409 and field_of(stale) == "version"
    assert _put(as_("bob"), f"{API}/{nid}/body", {"body": "Mine.", "version": 2}).status_code == 403
    check = _post(ann, f"{API}/check", {"body": "- a\n- b\nprose"})
    assert check.status_code == 200 and [f["rule"] for f in check.json()["findings"]] == ["bullets"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"title": "", "body": BODY}, 400, "title"),
        ({"title": "T", "body": "  "}, 400, "body"),
        ({"title": "T", "body": BODY, "team_id": 999999}, 400, "team_id"),
        ({"title": "T", "body": BODY, "reader_ids": [424242]}, 400, "reader_ids"),
        ({"title": "T", "body": BODY, "confidential": "yes"}, 422, "confidential"),
        ({"title": "T", "body": BODY, "pages": 3}, 422, "pages"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_creates_nothing(small_org, as_, body, status, field):
    payload = {"team_id": small_org.teams["checkout"].id, **body}
    got = _post(as_("ann"), API, payload)
    assert got.status_code == status, got.content
    assert field in json.dumps(got.json()["error"])
    assert services.list_narratives(actor=small_org.actor("ann")).total == 0


def test_a_confidential_narrative_is_a_404_to_outsiders_through_the_api_and_the_documents_api(small_org, as_):
    n = _create(small_org, confidential=True)
    for handle in ("eve", "admin"):
        client = as_(handle)
        assert client.get(f"{API}/{n.id}").status_code == 404
        assert client.get(f"{API}/{n.id}/sessions").status_code == 404
        assert client.get(API).json()["total"] == 0
        assert client.get(f"/api/v1/documents/{n.document_id}").status_code == 404
        assert client.get(f"/api/v1/documents/{n.document_id}/comments").status_code == 404
        assert _post(client, f"{API}/{n.id}/sessions", {"reader_ids": [small_org.people["bob"].id]}).status_code == 404
    assert as_("bob").get(f"{API}/{n.id}").status_code == 200  # a team member


def test_a_session_started_through_the_api_is_refused_over_six_pages_naming_the_rule(small_org, as_):
    short = _create(small_org)
    started = _post(as_("ann"), f"{API}/{short.id}/sessions", {"reader_ids": [small_org.people["bob"].id]})
    assert started.status_code == 201 and started.json()["revision"] == 1
    long = _create(small_org, body=" ".join(["word"] * 3100))
    refused = _post(as_("ann"), f"{API}/{long.id}/sessions", {"reader_ids": [small_org.people["bob"].id]})
    assert refused.status_code == 400 and field_of(refused) == "document_id"
    assert "over 6 pages" in refused.json()["error"]["message"]


def test_the_pages_list_write_show_edit_and_start_a_session(small_org):
    ann = signed_in("ann")
    assert ann.get("/narratives").status_code == 200
    assert ann.get("/narratives/new").status_code == 200
    bad = ann.post("/narratives/new", {"title": "", "team": str(small_org.teams["checkout"].id), "body": BODY})
    assert bad.status_code == 400
    made = ann.post(
        "/narratives/new",
        {"title": "Refunds in a day", "team": str(small_org.teams["checkout"].id), "body": BODY, "readers": ""},
    )
    assert made.status_code == 302
    nid = int(made["Location"].rstrip("/").split("/")[-1])
    page = ann.get(f"/narratives/{nid}").content.decode()
    assert "Refunds in a day" in page and 'id="narrative-check"' in page and 'id="start-session"' in page
    assert "customers wait nine days" in page.lower()
    view = services.get_narrative(actor=small_org.actor("ann"), narrative_id=nid)
    edited = ann.post(
        f"/narratives/{nid}/edit",
        {"title": "Refunds in a day", "body": BODY + "\n\nOne more.", "appendix": "", "version": view.document_version},
    )
    assert edited.status_code == 302
    stale = ann.post(
        f"/narratives/{nid}/edit",
        {"title": "Refunds in a day", "body": "Stale.", "appendix": "", "version": view.document_version},
    )
    assert stale.status_code == 409
    unknown = ann.post(f"/narratives/{nid}/sessions", {"readers": "nobody-here", "minutes": "20"})
    assert unknown.status_code == 400 and "nobody-here" in unknown.content.decode()
    started = ann.post(f"/narratives/{nid}/sessions", {"readers": "bob cat", "minutes": "15"})
    assert started.status_code == 302 and "/sessions/" in started["Location"]
    assert ann.get(started["Location"]).status_code == 200
    bob = signed_in("bob")
    assert 'id="start-session"' not in bob.get(f"/narratives/{nid}").content.decode()
    assert bob.get(f"/narratives/{nid}/edit").status_code == 403


def test_a_confidential_narrative_page_is_a_404_to_outsiders_and_search_leaves_it_out(small_org):
    n = _create(small_org, confidential=True, title="Secret refunds plan")
    eve = signed_in("eve")
    assert eve.get(f"/narratives/{n.id}").status_code == 404
    assert "Secret refunds plan" not in eve.get("/narratives").content.decode()
    assert "Secret refunds plan" not in eve.get("/search?q=Secret").content.decode()
    assert "Secret refunds plan" in signed_in("bob").get("/search?q=Secret").content.decode()


def test_the_offline_check_reads_a_file_with_an_appendix_and_exits_1_on_findings(tmp_path):
    good = tmp_path / "good.md"
    good.write_text(BODY + "\n\n# Appendix\n\n- a\n- b\n- c\n", encoding="utf-8")
    result = CliRunner().invoke(narratives_cli, ["check", str(good), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["appendix_words"] == 3 and report["bullet_lines"] == 0
    bad = tmp_path / "bad.md"
    bad.write_text("- one\n- two\n- three\nA line of prose.\n", encoding="utf-8")
    result = CliRunner().invoke(narratives_cli, ["check", str(bad)])
    assert result.exit_code == 1 and "bullets" in result.output and "75%" in result.output
    missing = CliRunner().invoke(narratives_cli, ["check", str(tmp_path / "none.md")])
    assert missing.exit_code == 2


def test_the_cli_lists_shows_and_starts_a_session_as_a_person(small_org):
    n = _create(small_org)
    runner = CliRunner()
    listed = runner.invoke(narratives_cli, ["list", "--as", "eve", "--format", "json"])
    assert listed.exit_code == 0 and json.loads(listed.output)["total"] == 1
    shown = runner.invoke(narratives_cli, ["show", str(n.id), "--as", "eve"])
    assert shown.exit_code == 0 and "Refunds in a day" in shown.output
    refused = runner.invoke(narratives_cli, ["start-session", str(n.id), "--readers", "bob", "--as", "bob"])
    assert refused.exit_code == 1
    started = runner.invoke(narratives_cli, ["start-session", str(n.id), "--readers", "bob cat", "--as", "ann"])
    assert started.exit_code == 0, started.output
    assert "2 readers" in started.output
    assert services.list_narrative_sessions(actor=small_org.actor("ann"), narrative_id=n.id).total == 1

"""`mech away ...`, `mech teams form|dissolution|dissolve` and `mech services transfer`: a request walked through
the CLI, errors naming the option, and a dissolution from a plan file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.config.cli import app

runner = CliRunner()
pytestmark = pytest.mark.django_db


def mech(*args: str):
    return runner.invoke(app, list(args))


def test_a_request_walked_through_the_cli(small_org):
    filed = mech(
        "away",
        "file",
        "--service",
        "payments-api",
        "--team",
        "checkout",
        "--title",
        "Refunds",
        "--what",
        "POST /refunds",
        "--why",
        "Customers wait",
        "--as",
        "bob",
        "--format",
        "json",
    )
    assert filed.exit_code == 0, filed.output
    request = json.loads(filed.output)
    rid, version = str(request["id"]), request["version"]
    wrong = mech("away", "decline", rid, "--version", str(version), "--reason", "no", "--as", "bob")
    assert wrong.exit_code == 1 and "home team" in wrong.output
    accepted = mech(
        "away",
        "accept",
        rid,
        "--version",
        str(version),
        "--contact",
        "eve",
        "--standards",
        "ours",
        "--as",
        "eve",
        "--format",
        "json",
    )
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.output)["state"] == "accepted"
    stale = mech("away", "start", rid, "--version", str(version), "--as", "bob")
    assert stale.exit_code == 1 and "version" in stale.output
    shown = json.loads(mech("away", "show", rid, "--as", "bob", "--format", "json").output)
    assert set(shown["actions"]) == {
        "escalate",
        "duplicate",
        "start",
        "withdraw",
    }
    board = json.loads(mech("away", "board", "payments", "--format", "json").output)
    assert board["inbound_by_state"] == {"accepted": 1}
    assert json.loads(mech("away", "tax", "--format", "json").output)["items"][0]["team_slug"] == "payments"
    assert mech("away", "sweep").exit_code == 0
    nobody = mech("away", "show", rid, "--as", "nobody")
    assert nobody.exit_code == 1 and "as" in nobody.output


def test_form_transfer_and_dissolve_from_a_plan_file(small_org, tmp_path):
    formed = mech(
        "teams",
        "form",
        "listing",
        "--name",
        "Listing",
        "--org-unit",
        "retail",
        "--charter",
        "Sellers list a product in five minutes.",
        "--member",
        "cat",
    )
    assert formed.exit_code == 0, formed.output
    vague = mech("teams", "form", "other", "--name", "Other", "--org-unit", "retail", "--charter", "stuff")
    assert vague.exit_code == 1 and "charter" in vague.output
    moved = mech("services", "transfer", "identity-api", "--to", "checkout", "--reason", "spin-in")
    assert moved.exit_code == 0, moved.output
    mech(
        "away",
        "file",
        "--service",
        "payments-api",
        "--team",
        "checkout",
        "--title",
        "t",
        "--what",
        "w",
        "--why",
        "y",
        "--as",
        "bob",
    )
    template = json.loads(mech("teams", "dissolution", "payments", "--format", "json").output)["plan_template"]
    assert list(template["services"]) == ["payments-api"]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"services": {"payments-api": "retire"}}))
    refused = mech("teams", "dissolve", "payments", "--plan", str(plan), "--reason", "merged")
    assert refused.exit_code == 1 and "orphan" in refused.output
    plan.write_text(
        json.dumps({"services": {"payments-api": "listing"}, "requests": dict.fromkeys(template["requests"], "follow")})
    )
    done = mech("teams", "dissolve", "payments", "--plan", str(plan), "--reason", "merged")
    assert done.exit_code == 0, done.output
    assert "1 service(s) transferred" in done.output and "1 request(s) re-routed" in done.output
    plan.write_text("{not json")
    broken = mech("teams", "dissolve", "identity", "--plan", str(plan), "--reason", "x")
    assert broken.exit_code == 2 and "plan.json:1" in broken.output


def test_the_list_is_readable_at_80_columns_and_prints_a_dash_never_none(small_org):
    from mechanisms.away_teams import services as away

    o = small_org
    for title in ("Refunds by API for every order that was paid by card and then shipped late", "Short"):
        r = away.file_request(
            actor=o.actor("bob"),
            service_id=o.services["payments-api"].id,
            requesting_team_id=o.teams["checkout"].id,
            title=title,
            what="w",
            why="y",
        )
    away.accept_request(
        actor=o.actor("eve"), request_id=r.id, version=r.version, contact_id=o.people["eve"].id, standards="s"
    )
    listed = runner.invoke(app, ["away", "list"], env={"COLUMNS": "80"})
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("Refunds by" in line and "…" in line for line in lines)
    accepted = [line for line in lines if "checkout → payments" in line and "accepted" in line]
    assert accepted and accepted[0].rstrip("│ ").endswith("-")  # no answer due once answered: a dash, as on the page
    assert "None" not in listed.output
    board = runner.invoke(app, ["away", "board", "identity"], env={"COLUMNS": "80"})  # nothing answered yet
    assert "None" not in board.output and "median days to answer: -" in board.output


def test_every_transition_is_a_command_with_options_from_its_input(small_org):
    from mechanisms.away_teams import services as away

    o = small_org
    r = away.file_request(
        actor=o.actor("bob"),
        service_id=o.services["payments-api"].id,
        requesting_team_id=o.teams["checkout"].id,
        title="Refunds",
        what="w",
        why="y",
    )
    r = away.accept_request(
        actor=o.actor("eve"), request_id=r.id, version=r.version, contact_id=o.people["eve"].id, standards="s"
    )
    rid = str(r.id)

    def step(*args: str) -> dict:
        result = mech("away", *args[:1], rid, *args[1:], "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    r = step("start", "--version", str(r.version), "--as", "bob")
    r = step("submit", "--version", str(r["version"]), "--as", "bob")
    vague = mech("away", "review", rid, "--version", str(r["version"]), "--request-changes", "--as", "eve")
    assert vague.exit_code == 1 and "(note)" in vague.output
    r = step("review", "--version", str(r["version"]), "--approve", "--as", "eve")
    assert r["state"] == "approved"
    missing = mech("away", "hand-off", rid, "--version", str(r["version"]), "--tests", "--as", "bob")
    assert missing.exit_code == 1 and "documentation updated; runbook updated" in missing.output
    r = step(
        "hand-off", "--version", str(r["version"]), "--tests", "--docs", "--runbook", "--impact", "Fast", "--as", "bob"
    )
    assert (r["state"], r["downstream_impact"]) == ("handed_off", "Fast")
    help_text = mech("away", "decide", "--help").output
    assert "--decision" in help_text and "reshuffle" in help_text and "keep_roadmap" in help_text

"""Goals through their doors: the API (/api/v1/goals: create, the generated transitions, progress, mix, errors
naming the field, 403, 409, 401), the pages (/goals with the computed status and the output-only warning, a goal's
page offering each viewer exactly their moves, the team panel) and the CLI (`mech goals mix`)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from mechanisms.kernel.testing import page_text, signed_in
from mechanisms.metrics.cli import goals as goals_cli

from .test_goals import approved, draft, goal_org, load_values, pinned

__all__ = ["goal_org", "pinned"]  # the fixtures these tests use

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _body(o, **kw):
    return {
        "team_id": o.teams["checkout"].id,
        "year": 2025,
        "title": "Grow weekly orders",
        "metric_id": o.metrics["orders"].pk,
        "baseline": 700.0,
        "target": 1400.0,
        "start_date": "2025-01-01",
        "due_date": "2025-12-31",
        **kw,
    }


def test_the_api_drafts_proposes_approves_and_reports_progress(goal_org, as_):
    load_values(goal_org.metrics["orders"], 160.0)
    created = _post(as_("bob"), "/api/v1/goals", _body(goal_org, propose=True))
    assert created.status_code == 201, created.content
    goal = created.json()
    assert goal["state"] == "proposed" and goal["metric_kind"] == "input"
    refused = _post(as_("cat"), f"/api/v1/goals/{goal['id']}/approve", {"version": goal["version"]})
    assert refused.status_code == 403
    stale = _post(as_("vp-retail"), f"/api/v1/goals/{goal['id']}/approve", {"version": goal["version"] - 1})
    assert stale.status_code == 409
    ok = _post(as_("vp-retail"), f"/api/v1/goals/{goal['id']}/approve", {"version": goal["version"], "note": "Yes"})
    assert ok.status_code == 200 and ok.json()["state"] == "approved"
    progress = as_("eve").get(f"/api/v1/goals/{goal['id']}/progress").json()
    assert progress["status"] == "on_track" and progress["measured"] == 1120.0 and progress["as_of"] == "2025-06-14"
    view = as_("vp-retail").get(f"/api/v1/goals/{goal['id']}").json()
    assert view["goal"]["state"] == "approved" and view["actions"] == ["drop"]
    patch = as_("bob").patch(
        f"/api/v1/goals/{goal['id']}",
        data=json.dumps({"version": ok.json()["version"], "target": 1000.0}),
        content_type="application/json",
    )
    assert patch.status_code == 400 and patch.json()["error"]["details"]["field"] == "state"


def test_the_api_names_the_bad_field_and_refuses_anonymous_callers(goal_org, as_, api_client):
    bad = _post(as_("bob"), "/api/v1/goals", _body(goal_org, due_date="2026-02-01"))
    assert bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "due_date"
    assert _post(as_("eve"), "/api/v1/goals", _body(goal_org)).status_code == 403
    assert api_client(None).get("/api/v1/goals").status_code == 401
    assert as_("bob").get("/api/v1/goals/99999").status_code == 404


def test_the_api_goal_mix(goal_org, as_):
    draft(goal_org)
    draft(goal_org, by="eve", team="payments", metric="revenue", baseline=None, target=9000.0)
    mix = as_("gus").get(f"/api/v1/goals/mix?year=2025&unit_id={goal_org.units['retail'].id}").json()
    assert (mix["input"], mix["output"], mix["input_share"]) == (1, 1, 0.5)
    assert len(mix["warnings"]) == 1 and mix["warnings"][0].startswith("Payments")
    listed = as_("gus").get(f"/api/v1/goals?team_id={goal_org.teams['checkout'].id}").json()
    assert listed["total"] == 1


def test_the_goals_page_shows_computed_status_and_the_output_only_warning(goal_org):
    gap = {__import__("datetime").date(2025, 6, 12)}
    load_values(goal_org.metrics["orders"], 160.0, skip=gap)
    approved(goal_org)
    draft(goal_org, by="eve", team="payments", metric="revenue", baseline=None, target=9000.0)
    text = page_text(signed_in("gus").get("/goals?year=2025&unit=retail"))
    assert "Grow weekly orders to 1,400" in text and "N/A: incomplete data" in text
    assert "Payments's 2025 goals are all tied to output metrics" in text


def _actions(response) -> set[str]:
    return set(re.findall(r'action="/goals/\d+/([a-z-]+)"', response.content.decode()))


def test_a_goal_page_offers_each_viewer_their_moves_and_takes_them(goal_org):
    load_values(goal_org.metrics["orders"], 160.0)
    goal = draft(goal_org)
    assert _actions(signed_in("bob").get(f"/goals/{goal.id}")) == {"propose"}
    response = signed_in("bob").post(f"/goals/{goal.id}/propose", {"propose-version": goal.version, "propose-note": ""})
    assert response.status_code == 302
    assert _actions(signed_in("cat").get(f"/goals/{goal.id}")) == set()
    leader_page = signed_in("vp-retail").get(f"/goals/{goal.id}")
    assert _actions(leader_page) == {"approve", "return"}
    assert "on track" in page_text(leader_page)
    refused = signed_in("vp-retail").post(
        f"/goals/{goal.id}/return", {"return-version": goal.version, "return-reason": "Not specific."}
    )
    assert refused.status_code == 409  # a stale version
    back = signed_in("vp-retail").post(
        f"/goals/{goal.id}/return", {"return-version": goal.version + 1, "return-reason": ""}
    )
    assert back.status_code == 400 and "This field is required" in page_text(back)


def test_the_team_page_shows_its_goals_this_year(goal_org):
    approved(goal_org)
    text = page_text(signed_in("eve").get("/teams/checkout"))
    assert "Goals 2025" in text and "Grow weekly orders to 1,400" in text


def test_the_cli_goal_mix_warns_with_exit_1(goal_org):
    draft(goal_org, by="eve", team="payments", metric="revenue", baseline=None, target=9000.0)
    result = CliRunner().invoke(goals_cli, ["mix", "--year", "2025", "--unit", "retail"])
    assert result.exit_code == 1 and "warning: Payments's 2025 goals" in result.output
    listed = CliRunner().invoke(goals_cli, ["list", "--team", "payments", "--format", "json"])
    assert listed.exit_code == 0 and json.loads(listed.output)["total"] == 1

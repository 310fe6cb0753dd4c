"""The loop's API and CLI doors (MECHANISMS.md §5): a loop walked through the API from planning to a decision,
refusals with their codes and fields, the seal through the API (403 inside, 404 outside), and the CLI's feedback
file naming file, line and field."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from mechanisms.hiring import services as hiring
from mechanisms.hiring.cli import hiring as hiring_cli
from mechanisms.kernel.testing import error_of, field_of

pytestmark = pytest.mark.django_db
CO, OWN, DIVE = "customer-obsession", "ownership", "dive-deep"
runner = CliRunner()


def iso(value: dt.datetime) -> str:
    return value.isoformat()


def star(principle: str) -> dict:
    return {"principle": principle, "situation": "s", "task": "t", "action": "a", "result": "r", "rating": 3}


@pytest.fixture
def planned(hiring_org, make_candidate, as_):
    """A loop planned through the API: three interviews that ended an hour ago, covering the principles."""
    candidate = make_candidate()
    created = as_("rex").post("/api/v1/hiring/loops", {"candidate_id": candidate.id}, content_type="application/json")
    assert created.status_code == 201, created.content
    loop = created.json()
    end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    interviews = []
    for n, (handle, principles) in enumerate((("bob", [CO, OWN]), ("cat", [OWN, DIVE]), ("dan", [DIVE, CO]))):
        body = {
            "interviewer_id": hiring_org.people[handle].id,
            "starts_at": iso(end - dt.timedelta(hours=1, minutes=n)),
            "ends_at": iso(end - dt.timedelta(minutes=n)),
            "principles": principles,
        }
        added = as_("rex").post(f"/api/v1/hiring/loops/{loop['id']}/interviews", body, content_type="application/json")
        assert added.status_code == 201, added.content
        interviews.append(added.json())
    return loop, interviews


def test_a_loop_walked_through_the_api_from_planning_to_an_offer(hiring_org, planned, as_):
    loop, interviews = planned
    lid = loop["id"]
    view = as_("ann").get(f"/api/v1/hiring/loops/{lid}").json()
    assert view["problems"] == [] and "start" in view["actions"]
    started = as_("ann").post(
        f"/api/v1/hiring/loops/{lid}/start", {"version": view["loop"]["version"]}, content_type="application/json"
    )
    assert started.status_code == 200, started.content
    for handle, interview in zip(("bob", "cat", "dan"), interviews, strict=True):
        body = {"vote": "hire", "summary": "ok", "evidence": [star(p) for p in interview["principles"]]}
        draft = as_(handle).put(f"/api/v1/hiring/interviews/{interview['id']}/feedback", body, "application/json")
        assert draft.status_code == 200 and draft.json()["submitted_at"] is None
        sealed = as_("ann").get(f"/api/v1/hiring/interviews/{interview['id']}/feedback")
        assert sealed.status_code == 403 and error_of(sealed)["message"].startswith("sealed until the debrief")
        assert as_("admin").get(f"/api/v1/hiring/interviews/{interview['id']}/feedback").status_code == 404
        sent = as_(handle).post(f"/api/v1/hiring/interviews/{interview['id']}/feedback", body, "application/json")
        assert sent.status_code == 200, sent.content
    again = as_("bob").post(
        f"/api/v1/hiring/interviews/{interviews[0]['id']}/feedback",
        {"vote": "no_hire", "evidence": []},
        content_type="application/json",
    )
    assert again.status_code == 400 and field_of(again) == "feedback"
    status = as_("ann").get(f"/api/v1/hiring/loops/{lid}/feedback-status").json()
    assert status["state"] == "debrief" and status["outstanding"] == 0
    room = as_("ann").get(f"/api/v1/hiring/loops/{lid}/debrief")
    assert room.status_code == 200 and [v["vote"] for v in room.json()["votes"]] == ["hire"] * 3
    vote = as_("cat").post(
        f"/api/v1/hiring/loops/{lid}/votes", {"vote": "strong_hire", "reason": "bob's story"}, "application/json"
    )
    assert vote.status_code == 201
    rec = as_("hal").post(
        f"/api/v1/hiring/loops/{lid}/recommendation",
        {"recommendation": "approve", "reasoning": "raises the bar"},
        content_type="application/json",
    )
    assert rec.status_code == 200, rec.content
    decided = as_("ann").post(
        f"/api/v1/hiring/loops/{lid}/decide",  # the loop machine's generated endpoint
        {"version": rec.json()["version"], "decision": "hire", "rationale": "strong loop"},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["state"] == "offer"


def test_the_start_refused_by_a_loop_rule_is_a_400_naming_the_rule(hiring_org, make_candidate, as_):
    candidate = make_candidate()
    loop = as_("rex").post("/api/v1/hiring/loops", {"candidate_id": candidate.id}, content_type="application/json")
    lid = loop.json()["id"]
    refused = as_("ann").post(
        f"/api/v1/hiring/loops/{lid}/start", {"version": loop.json()["version"]}, content_type="application/json"
    )
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["details"]["rule"] == "interviews-required"
    assert {p["rule"] for p in error["details"]["problems"]} >= {"interviews-required", "coverage"}
    check = as_("ann").get(f"/api/v1/hiring/loops/{lid}/check").json()
    assert {p["rule"] for p in check} == {p["rule"] for p in error["details"]["problems"]}


def test_outsiders_get_404_on_every_loop_door_and_see_no_loops(hiring_org, planned, as_):
    loop, interviews = planned
    lid = loop["id"]
    for who in ("admin", "eve", "gus"):
        for path in (
            f"/api/v1/hiring/loops/{lid}",
            f"/api/v1/hiring/loops/{lid}/check",
            f"/api/v1/hiring/loops/{lid}/interviews",
            f"/api/v1/hiring/loops/{lid}/feedback-status",
            f"/api/v1/hiring/loops/{lid}/debrief",
            f"/api/v1/hiring/interviews/{interviews[0]['id']}/feedback",
        ):
            assert as_(who).get(path).status_code == 404, (who, path)
        assert as_(who).get("/api/v1/hiring/loops").json()["total"] == 0


def test_bad_interview_input_is_refused_naming_the_field(hiring_org, planned, as_):
    loop, _ = planned
    naive = as_("rex").post(
        f"/api/v1/hiring/loops/{loop['id']}/interviews",
        {
            "interviewer_id": hiring_org.people["eve"].id,
            "starts_at": "2026-03-02T10:00:00",
            "ends_at": "2026-03-02T11:00:00",
            "principles": [CO],
        },
        content_type="application/json",
    )
    assert naive.status_code == 422
    three = as_("rex").post(
        f"/api/v1/hiring/loops/{loop['id']}/interviews",
        {
            "interviewer_id": hiring_org.people["eve"].id,
            "starts_at": "2026-03-02T10:00:00+00:00",
            "ends_at": "2026-03-02T11:00:00+00:00",
            "principles": [CO, OWN, DIVE],
        },
        content_type="application/json",
    )
    assert three.status_code == 400 and field_of(three) == "principles"


def test_my_interviews_lists_the_actors_own_with_their_feedback_status(hiring_org, planned, as_):
    mine = as_("bob").get("/api/v1/hiring/me/interviews").json()
    assert mine["total"] == 1 and mine["items"][0]["feedback"] == "none"
    assert as_("eve").get("/api/v1/hiring/me/interviews").json()["total"] == 0


# ---------------------------------------------------------------------------------------------- CLI


def mech(*args: str):
    """`mech hiring ...` (the hiring sub-app itself: app tests do not import config, which mounts it)."""
    assert args[0] == "hiring"
    return runner.invoke(hiring_cli, list(args[1:]))


def test_feedback_submitted_from_a_file_through_the_cli(hiring_org, planned, tmp_path):
    loop, interviews = planned
    current = hiring.get_loop(actor=hiring_org.actor("ann"), loop_id=loop["id"])
    started = mech("hiring", "loop", "start", str(loop["id"]), "--version", str(current.version), "--as", "ann")
    assert started.exit_code == 0, started.output
    file = tmp_path / "feedback.yaml"
    evidence = "\n".join(
        f"  - principle: {p}\n    situation: s\n    task: t\n    action: a\n    result: r\n    rating: 3"
        for p in interviews[0]["principles"]
    )
    file.write_text(f"vote: hire\nsummary: fine\nevidence:\n{evidence}\n")
    sent = mech("hiring", "feedback", "submit", str(interviews[0]["id"]), "--file", str(file), "--as", "bob")
    assert sent.exit_code == 0, sent.output
    shown = mech("hiring", "feedback", "show", str(interviews[0]["id"]), "--as", "ann")
    assert shown.exit_code == 1 and "sealed until the debrief" in shown.output
    status = mech("hiring", "loop", "status", str(loop["id"]), "--as", "ann", "--format", "json")
    assert status.exit_code == 0, status.output
    lines = {line["interview_id"]: line for line in json.loads(status.output)["lines"]}
    assert lines[interviews[0]["id"]]["submitted_at"] and not lines[interviews[1]["id"]]["submitted_at"]
    assert "vote" not in lines[interviews[0]["id"]]


def test_a_bad_feedback_file_names_file_line_and_field(hiring_org, planned, tmp_path):
    loop, interviews = planned
    current = hiring.get_loop(actor=hiring_org.actor("ann"), loop_id=loop["id"])
    hiring.start_loop(actor=hiring_org.actor("ann"), loop_id=loop["id"], version=current.version)
    file = tmp_path / "feedback.yaml"
    file.write_text("vote: hire\nevidence:\n  - principle: customer-obsession\n    rating: three\n")
    shape = mech("hiring", "feedback", "submit", str(interviews[0]["id"]), "--file", str(file), "--as", "bob")
    assert shape.exit_code == 2 and f"{file}:4: evidence[0].rating" in shape.output
    file.write_text("vote: hire\nevidence:\n  - principle: customer-obsession\n    situation: s\n    rating: 3\n")
    rule = mech("hiring", "feedback", "submit", str(interviews[0]["id"]), "--file", str(file), "--as", "bob")
    assert rule.exit_code == 1 and f"{file}:3: evidence[0].task" in rule.output
    file.write_text("vote: hire\nsumary: typo\n")
    typo = mech("hiring", "feedback", "submit", str(interviews[0]["id"]), "--file", str(file), "--as", "bob")
    assert typo.exit_code == 2 and f"{file}:2: sumary" in typo.output


def test_the_cli_lists_and_checks_loops_only_for_insiders(hiring_org, planned):
    loop, _ = planned
    listed = mech("hiring", "loops", "--as", "rex", "--format", "json")
    assert listed.exit_code == 0 and json.loads(listed.output)["total"] == 1
    hidden = mech("hiring", "loop", "show", str(loop["id"]), "--as", "eve")
    assert hidden.exit_code == 1 and "does not exist" in hidden.output
    check = mech("hiring", "loop", "check", str(loop["id"]), "--as", "ann")
    assert check.exit_code == 0 and "no problems" in check.output

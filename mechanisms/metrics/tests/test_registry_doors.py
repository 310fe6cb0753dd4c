"""The registry through its doors: API (status codes, field-named errors, 409), pages (registry, new, a metric
with its data, plan, revisions and lineage; the revise form), CLI, and a role matrix for writes (admin, owner, team
member, outsider, anonymous) through the API and the pages."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from mechanisms.audit import services as audit_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import api_door, check_matrix, error_of, page_door, page_text, signed_in
from mechanisms.metrics import services
from mechanisms.metrics.cli import metrics as metrics_cli

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
# eve owns the metric of checkout's team; bob is a member; gus is an outsider.
ROLES = {"admin": "admin", "owner": "eve", "member": "bob", "outsider": "gus"}


def body(org, **kw):
    values = {
        "name": "Orders",
        "title": "Orders placed",
        "kind": "output",
        "definition": "Orders placed per day.",
        "owner_id": org.people["eve"].id,
        "team_id": org.teams["checkout"].id,
    }
    values.update(kw)
    return values


@pytest.fixture
def metric(small_org):
    return services.define_metric(
        actor=SYSTEM, **{**body(small_org, name="Defects/Million"), "unit": "ppm"}, direction="down"
    )


def _state(m):
    current = services.get_metric(actor=SYSTEM, metric_id=m.id)
    audited = audit_services.list_changes(actor=SYSTEM, subject_type="metric", subject_id=m.id).total
    return current.version, current.revision, current.retired_on, audited


def test_api_define_read_revise_and_errors(small_org, as_):
    client = as_("bob")
    made = client.post("/api/v1/metrics", json.dumps(body(small_org)), content_type="application/json")
    assert made.status_code == 201, made.content
    m = made.json()
    assert (m["revision"], m["owner_name"], m["team_name"]) == (1, "Eve Park", "Checkout")
    blend = body(small_org, name="Fitness", formula={"weights": {"Orders": 1}})
    refused = client.post("/api/v1/metrics", json.dumps(blend), content_type="application/json")
    assert refused.status_code == 400 and error_of(refused)["details"].get("field", "formula") == "formula"
    assert "compound" in error_of(refused)["message"]
    no_lever = client.post(
        "/api/v1/metrics", json.dumps(body(small_org, name="Speed", kind="input")), content_type="application/json"
    )
    assert no_lever.status_code == 400 and "lever" in error_of(no_lever)["message"]
    patch = {"version": m["version"], "reason": "shipped, not placed", "definition": "Orders shipped per day."}
    revised = client.patch(f"/api/v1/metrics/{m['id']}", json.dumps(patch), content_type="application/json")
    assert revised.status_code == 200 and revised.json()["revision"] == 2
    stale = client.patch(f"/api/v1/metrics/{m['id']}", json.dumps(patch), content_type="application/json")
    assert stale.status_code == 409
    revs = client.get(f"/api/v1/metrics/{m['id']}/revisions").json()
    assert [r["number"] for r in revs["items"]] == [2, 1] and revs["items"][0]["changed"]["definition"][1].startswith(
        "Orders shipped"
    )
    assert client.get(f"/api/v1/metrics/{m['id']}/revisions/1").json()["fields"]["definition"] == (
        "Orders placed per day."
    )
    assert client.get("/api/v1/metrics/by-name", {"name": "orders"}).json()["id"] == m["id"]
    assert client.get("/api/v1/metrics/by-name", {"name": "nope"}).status_code == 404
    assert client.get("/api/v1/metrics", {"kind": "output"}).json()["total"] == 1
    assert client.get("/api/v1/metrics/999999").status_code == 404
    plan = {"values": [{"period": "month", "start": "2024-02-01", "end": "2024-02-29", "value": 12.5}]}
    put = client.put(f"/api/v1/metrics/{m['id']}/plan", json.dumps(plan), content_type="application/json")
    assert put.status_code == 200 and put.json()[0]["value"] == 12.5
    plan["values"][0]["end"] = "2024-02-28"
    bad = client.put(f"/api/v1/metrics/{m['id']}/plan", json.dumps(plan), content_type="application/json")
    assert bad.status_code == 400 and "values[0]" in (error_of(bad).get("details") or {}).get("field", "values[0]")
    assert client.get(f"/api/v1/metrics/{m['id']}/plan").json()["items"][0]["end"] == "2024-02-29"
    lineage = client.get(f"/api/v1/metrics/{m['id']}/lineage").json()
    assert lineage["metric"]["name"] == "Orders" and lineage["ancestors"] == []
    retired = client.post(
        f"/api/v1/metrics/{m['id']}/retire",
        json.dumps({"version": revised.json()["version"]}),
        content_type="application/json",
    )
    assert retired.status_code == 200 and retired.json()["retired_on"]


def test_writes_by_role_through_api_and_pages(small_org, metric, as_):
    def patch_body(m):
        current = services.get_metric(actor=SYSTEM, metric_id=m.id)
        return {"version": current.version, "reason": "clearer", "title": f"Defects per million v{current.version}"}

    def page_data(m):
        current = services.get_metric(actor=SYSTEM, metric_id=m.id)
        return {
            "action": "revise",
            "version": current.version,
            "reason": "clearer",
            "title": f"Defects per million p{current.version}",
            "kind": "output",
            "definition": current.definition,
            "unit": current.unit,
            "direction": current.direction.value,
            "owner": "eve",
            "team": "checkout",
            "aggregation": "sum",
            "comparison": "percent",
            "grain": "day",
        }

    check_matrix(
        """
                  m
        anonymous 401
        outsider  403
        admin     allowed
        owner     allowed
        member    allowed
        """,
        doors=[
            api_door(lambda m: f"/api/v1/metrics/{m.id}", client_for=as_, method="patch", body=patch_body),
            page_door(lambda m: "/metrics/" + quote(m.name, safe=""), method="post", data=page_data),
        ],
        records={"m": metric},
        roles=ROLES,
        unchanged=_state,
    )
    assert services.get_metric(actor=SYSTEM, metric_id=metric.id).revision == 7


def test_reads_are_open_to_the_signed_in(small_org, metric, as_):
    check_matrix(
        """
                  m
        admin     allowed
        outsider  allowed
        anonymous 401
        """,
        doors=[
            api_door(lambda m: f"/api/v1/metrics/{m.id}", client_for=as_),
            api_door(lambda m: "/api/v1/metrics", client_for=as_, name="api list"),
            page_door(lambda m: "/metrics/" + quote(m.name, safe="")),
            page_door(lambda m: "/metrics", name="registry"),
        ],
        records={"m": metric},
        roles=ROLES,
    )


def test_pages_render(small_org, metric):
    pages = services.define_metric(actor=SYSTEM, **body(small_org, name="pages"))
    services.define_metric(
        actor=SYSTEM, **body(small_org, name="pages seen"), evolved_from_id=pages.id, evolution_reason="seen counts"
    )
    services.set_plan(
        actor=SYSTEM, metric_id=metric.id, values=[("month", dt.date(2024, 3, 1), dt.date(2024, 3, 31), 40)]
    )
    bob = signed_in("bob")
    registry = bob.get("/metrics")
    assert registry.status_code == 200
    text = page_text(registry)
    assert "Defects/Million" in text and "0 input metrics" in text and "3 output metrics" in text
    assert "pages seen" in page_text(bob.get("/metrics", {"q": "seen"}))
    page = bob.get("/metrics/" + quote("Defects/Million", safe=""))
    assert page.status_code == 200
    text = page_text(page)
    assert "Orders placed per day." in text and "lower is better" in text and "Revision 1" in text
    assert "Revise the definition" in text and "Week ending" in text
    assert "seen counts" in page_text(bob.get("/metrics/pages"))
    assert "Revise the definition" not in page_text(signed_in("gus").get("/metrics/pages"))
    assert bob.get("/metrics/nothing-here").status_code == 404
    assert bob.get("/metrics/new").status_code == 200
    assert signed_in("hal").get("/metrics/new").status_code == 403  # hal is in no team
    made = bob.post(
        "/metrics/new",
        {
            "name": "Button speed",
            "title": "Time to the buy button",
            "kind": "input",
            "definition": "p90 ms",
            "owner": "cat",
            "team": "checkout",
            "lever": "",
            "aggregation": "mean",
            "comparison": "percent",
            "grain": "day",
            "direction": "down",
        },
    )
    assert made.status_code == 400 and "lever" in page_text(made)
    team_page = bob.get("/teams/checkout")
    assert "Metrics this team owns" in page_text(team_page) and "Defects/Million" in page_text(team_page)
    search = bob.get("/search", {"q": "Defects"})
    assert "Defects/Million" in page_text(search)


def test_cli_smoke(small_org, metric):
    runner = CliRunner()
    listed = runner.invoke(metrics_cli, ["list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["items"][0]["name"] == "Defects/Million"
    shown = runner.invoke(metrics_cli, ["show", "Defects/Million"])
    assert shown.exit_code == 0 and "ppm" in shown.output
    defined = runner.invoke(
        metrics_cli,
        ["define", "Speed", "--title", "Speed", "--kind", "input", "--definition", "ms", "--owner", "bob",
         "--team", "checkout", "--lever", "smaller pages", "--as", "bob", "--format", "json"],
    )  # fmt: skip
    assert defined.exit_code == 0, defined.output
    refused = runner.invoke(
        metrics_cli,
        ["define", "Blend", "--title", "B", "--kind", "output", "--definition", "x", "--owner", "bob",
         "--team", "checkout", "--formula", '{"weights": {"Speed": 1}}'],
    )  # fmt: skip
    assert refused.exit_code == 2 and "formula" in refused.output
    version = services.find_metric(actor=SYSTEM, name="Speed").version
    revised = runner.invoke(
        metrics_cli, ["revise", "Speed", "--version", str(version), "--reason", "p50", "--definition", "p50 ms",
                      "--as", "gus"],
    )  # fmt: skip
    assert revised.exit_code != 0 and "only" in revised.output
    revised = runner.invoke(
        metrics_cli, ["revise", "Speed", "--version", str(version), "--reason", "p50", "--definition", "p50 ms"]
    )
    assert revised.exit_code == 0, revised.output
    plan = runner.invoke(metrics_cli, ["plan", "Speed", "--set", "month:2024-03-01:2024-03-31:120"])
    assert plan.exit_code == 0, plan.output
    bad = runner.invoke(metrics_cli, ["plan", "Speed", "--set", "month:2024-03-01:2024-03-30:120"])
    assert bad.exit_code == 2 and "values[0]" in bad.output
    assert runner.invoke(metrics_cli, ["lineage", "Speed"]).exit_code == 0
    retired = runner.invoke(metrics_cli, ["retire", "Speed", "--version", str(version + 1)])
    assert retired.exit_code == 0, retired.output

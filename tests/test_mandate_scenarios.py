"""The mandate in the server on the demo organization, and the server agreeing with the offline `mech check` on
the same catalog exported as Backstage files (a scenario across mandate, workflows and interop)."""

from __future__ import annotations

import pytest

from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.mandate import services
from mechanisms.org import services as org_services

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.django_db


def pairs(findings) -> set[tuple[str, str]]:
    return {(f.rule, f.subject) for f in findings}


def all_findings(**filters):
    items, offset = [], 0
    while offset is not None:
        page = services.list_findings(actor=SYSTEM, limit=200, offset=offset, **filters)
        items.extend(page.items)
        offset = page.next_offset
    return items


@pytest.fixture
def demo(db):
    from mechanisms.workflows.demo import load_demo

    load_demo()


def test_demo_organization_findings_in_the_server(demo):
    summary = services.evaluate_org(actor=SYSTEM)
    found = pairs(all_findings())
    assert ("mandate/back-door", "component:default/recommendations-engine") in found
    assert ("org/team-too-large", "group:default/search") in found
    assert ("org/no-stl", "group:default/growth-experiments") in found
    assert any(rule == "org/stl-not-single-threaded" for rule, _ in found)
    back_doors = [f for f in all_findings(rule="mandate/back-door")]
    assert back_doors[0].related == ("resource:default/orders-db",)
    assert summary.errors == sum(1 for f in all_findings() if f.blocking)
    assert summary.teams_scored == len(org_services.team_ids_by_slug(actor=Actor.system("test"), live_only=True))


def test_server_and_offline_check_agree_on_an_exported_catalog(demo, tmp_path):
    from mechanisms.interop.backstage import load_paths
    from mechanisms.interop.offline import build_snapshot
    from mechanisms.mandate import rules
    from mechanisms.workflows.backstage_io import export_backstage

    services.evaluate_org(actor=SYSTEM)
    export_backstage(folder=tmp_path)
    result = load_paths([str(tmp_path)])
    catalog = build_snapshot(result)
    assert result.errors == [] and catalog.errors == []
    offline = rules.evaluate(catalog.snapshot, today=clock.today())
    assert pairs(all_findings()) == pairs(offline)

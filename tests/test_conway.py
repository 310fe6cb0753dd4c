"""The Conway report computed from rolled-up team edges, its layout (clusters per org unit, cross-unit edges
first), and the page that draws it (issue 9, item 7)."""

from __future__ import annotations

import pytest

from mechanisms.kernel.actor import Actor
from mechanisms.mandate import rules
from mechanisms.mandate import services as mandate_services
from mechanisms.mandate.contracts import GraphInputEdge, GraphInputNode

SYSTEM = Actor.system("test")


def boxes_overlap(a, b) -> bool:
    return not (a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y)


def test_layout_puts_each_unit_in_its_own_box_with_its_teams_inside_and_labels_that_fit():
    nodes = [GraphInputNode(f"t{i}", f"A team with a long name {i}", f"u{i % 3}", weight=i) for i in range(9)]
    nodes += [GraphInputNode(f"big{i}", f"big {i}", "big") for i in range(40)]
    labels = {"u0": "Unit zero", "u1": "Unit one", "u2": "Unit two with a much longer name", "big": "Big"}
    clusters, placed, _, width, height, _ = rules.layout_conway(nodes, [], labels, width=500)
    assert [c.key for c in clusters] == ["u0", "u1", "u2", "big"]
    for a in clusters:
        assert len(a.label) * rules._CHAR <= a.width  # the title is never clipped by its box
        for b in clusters:
            assert a is b or not boxes_overlap(a, b)
    box = {c.key: c for c in clusters}
    for node in placed:
        c = box[node.cluster]
        assert c.x <= node.x - node.r and node.x + node.r <= c.x + c.width
        assert c.y <= node.y - node.r and node.y + node.r <= c.y + c.height
        if node.show_label:  # a labelled dot's label ends inside its box
            assert node.label_x + len(node.label) * rules._CHAR <= c.x + c.width + 1
    assert all(c.x + c.width <= width + 0.1 and c.y + c.height <= height + 0.1 for c in clusters)
    assert not any(n.show_label for n in placed if n.cluster == "big")  # a large unit is a grid, labels in tooltips


def test_layout_highlights_cross_unit_edges_and_keeps_them_first_when_capped():
    nodes = [GraphInputNode(k, k, unit) for k, unit in [("a", "u"), ("b", "u"), ("c", "v")]]
    edges = [GraphInputEdge("a", "b", 9), GraphInputEdge("a", "c", 1, tight=True), GraphInputEdge("a", "zz", 5)]
    _, _, kept, _, _, hidden = rules.layout_conway(nodes, edges, {"u": "U", "v": "V"}, max_edges=1)
    assert [(e.source, e.target, e.cross, e.tight) for e in kept] == [("a", "c", True, True)]
    assert hidden == 1  # a -> b left out; a -> zz has no dot and is not drawable at all


@pytest.fixture
def demo(db):
    from mechanisms.workflows.demo import load_demo

    load_demo()


def test_the_report_from_team_edges_matches_the_rules_over_the_whole_snapshot(demo):
    view = mandate_services.conway_report(actor=SYSTEM)
    expected = rules.conway(mandate_services.snapshot())
    assert [(t.slug, t.fan_in, t.fan_out) for t in view.teams] == [
        (d.team.rsplit("/", 1)[-1], d.fan_in, d.fan_out) for d in expected.degrees
    ]
    assert [(p.team_a_slug, p.team_b_slug, p.edges, p.tight) for p in view.coupled_pairs] == [
        (p.team_a.rsplit("/", 1)[-1], p.team_b.rsplit("/", 1)[-1], p.edges, p.tight) for p in expected.coupled_pairs
    ]
    assert sum(e.total for e in view.edges) == sum(link.total for link in expected.links)


def test_a_small_org_is_drawn_by_team_in_unit_boxes(demo):
    graph = mandate_services.conway_graph(actor=SYSTEM, report=mandate_services.conway_report(actor=SYSTEM))
    assert graph.mode == "teams"
    assert {n.cluster for n in graph.nodes} == {c.key for c in graph.clusters}
    back_door = next(e for e in graph.edges if {e.source, e.target} == {"recommendations", "checkout"})
    assert back_door.cross and back_door.tight


def test_a_large_org_is_drawn_by_unit_and_a_unit_can_be_opened(demo, monkeypatch):
    from mechanisms.org import services as org_services

    monkeypatch.setattr(mandate_services, "CONWAY_TEAMS_DRAWN", 3)  # what 2,000 teams do, on the small demo
    report = mandate_services.conway_report(actor=SYSTEM)
    by_unit = mandate_services.conway_graph(actor=SYSTEM, report=report)
    assert by_unit.mode == "units" and all(n.kind == "unit" for n in by_unit.nodes)
    assert all(e.cross for e in by_unit.edges)
    shopping = org_services.find_org_unit(actor=Actor.system("test"), slug="shopping")
    opened = mandate_services.conway_graph(actor=SYSTEM, report=report, org_unit_id=shopping.id)
    teams = {n.key for n in opened.nodes if n.kind == "team"}
    assert {"cart", "search", "reviews", "ratings", "product-catalog"} == teams
    assert any(n.kind == "unit" for n in opened.nodes)  # where their edges lead, drawn whole


def test_the_conway_page_draws_unit_boxes_and_is_computed_once_per_evaluation(demo, django_assert_max_num_queries):
    from django.test import Client

    from mechanisms.workflows.demo import DEMO_PASSWORD

    client = Client()
    assert client.login(username="maya.chen", password=DEMO_PASSWORD)
    first = client.get("/conway").content.decode()
    assert "Checkout &amp; Payments · 3 teams" in first and 'href="/teams/recommendations"' in first
    # The report comes from the cache until the next evaluation; the navigation reads the roles held and whether
    # anyone reports to the viewer (its Overrides and Hiring health entries), once each.
    with django_assert_max_num_queries(8):
        assert client.get("/conway").status_code == 200
    assert client.get("/conway?unit=nowhere").status_code == 404
    assert "Teams of Shopping Experience" in client.get("/conway?unit=shopping").content.decode()

"""The board and the funnel through their doors (API, pages, CLI): shapes, status codes, and that a PR/FAQ outside
the viewer's circles is counted but never named."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.kernel.testing import signed_in
from mechanisms.working_backwards import services
from mechanisms.working_backwards.cli import prfaqs

pytestmark = pytest.mark.django_db
runner = CliRunner()


def _ids(org, *handles):
    return [org.people[h].id for h in handles]


@pytest.fixture
def shelved_at_three(small_org, good_parts):
    """bob's "Acme Pay Later": circle 2 cat (reviewer) and eve; circle 3 vp-retail, who shelved it there; a second
    one, "Acme Gift Cards", waits on cat in circle 2."""
    org = small_org
    made = []
    for title in ("Acme Pay Later", "Acme Gift Cards"):
        prfaq = services.create_prfaq(
            actor=org.actor("bob"), title=title, team_id=org.teams["checkout"].id, parts=good_parts
        )
        for circle, reviewers, readers in ((2, ["cat"], ["eve"]), (3, ["vp-retail"], []), (4, ["ceo"], [])):
            prfaq = services.set_circle_members(
                actor=org.actor("bob"),
                prfaq_id=prfaq.id,
                circle=circle,
                reviewer_ids=_ids(org, *reviewers),
                reader_ids=_ids(org, *readers),
                version=prfaq.version,
            )
        made.append(services.submit_prfaq(actor=org.actor("bob"), prfaq_id=prfaq.id, version=prfaq.version))
    first = services.advance_prfaq(actor=org.actor("cat"), prfaq_id=made[0].id, version=made[0].version)
    first = services.shelve_prfaq(
        actor=org.actor("vp-retail"), prfaq_id=first.id, version=first.version, reason="market_too_small"
    )
    return first, made[1]


def test_funnel_api_counts_all_and_names_what_the_viewer_reads(as_, small_org, shelved_at_three):
    shelved, waiting = shelved_at_three
    body = as_("vp-retail").get("/api/v1/prfaqs/funnel").json()
    assert (body["total"], body["shelved"], body["approved"]) == (2, 1, 0)
    assert [s["reached"] for s in body["steps"]] == [2, 2, 1, 0]
    assert body["steps"][2]["reasons"] == [{"reason": "market_too_small", "count": 1}]
    assert [e["title"] for e in body["entries"]] == ["Acme Pay Later"]
    outsider = as_("gus").get("/api/v1/prfaqs/funnel?unit=retail").json()
    assert outsider["total"] == 2 and outsider["entries"] == []
    assert "Pay Later" not in json.dumps(outsider)


def test_funnel_api_refuses_bad_input_naming_it(as_, small_org):
    missing = as_("bob").get("/api/v1/prfaqs/funnel?unit=nowhere")
    assert missing.status_code == 404
    assert missing.json()["error"]["details"]["field"] == "unit"
    backwards = as_("bob").get("/api/v1/prfaqs/funnel?since=2026-05-02&until=2026-05-01")
    assert backwards.status_code == 400
    assert backwards.json()["error"]["details"]["field"] == "until"
    assert as_("bob").get("/api/v1/prfaqs/funnel?since=yesterday").status_code == 422
    assert as_(None).get("/api/v1/prfaqs/funnel").status_code == 401


def test_board_api_shows_what_waits_on_the_viewer(as_, small_org, shelved_at_three):
    shelved, waiting = shelved_at_three
    cat = as_("cat").get("/api/v1/prfaqs/board").json()
    assert cat["waiting"] == 1
    assert [i["title"] for i in cat["circles"][0]["items"]] == ["Acme Gift Cards"]
    assert cat["circles"][0]["items"][0]["time_in_circle"] == "in circle 2 since today"
    assert [i["title"] for i in cat["finished"]] == ["Acme Pay Later"]
    assert as_("admin").get("/api/v1/prfaqs/board").json() == {
        "circles": [{"circle": 2, "items": []}, {"circle": 3, "items": []}, {"circle": 4, "items": []}],
        "drafts": [],
        "finished": [],
        "waiting": 0,
    }
    waiting_page = as_("cat").get("/api/v1/prfaqs/waiting").json()
    assert [i["prfaq_id"] for i in waiting_page["items"]] == [waiting.id]


def test_board_and_funnel_pages(small_org, shelved_at_three):
    cat = signed_in("cat")
    page = cat.get("/prfaqs/board")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Acme Gift Cards" in text and "waiting on you" in text and "Acme Pay Later" in text
    ceo = signed_in("ceo").get("/prfaqs/board").content.decode()
    assert "Pay Later" not in ceo and "Gift Cards" not in ceo
    funnel = signed_in("gus").get("/prfaqs/funnel")
    assert funnel.status_code == 200
    body = funnel.content.decode()
    assert "Pay Later" not in body and "Gift Cards" not in body and "the market is too small" in body
    bad = signed_in("gus").get("/prfaqs/funnel?unit=nowhere&since=soon")
    assert bad.status_code == 400
    assert "No org unit has the slug" in bad.content.decode() and "is not a date" in bad.content.decode()


def test_home_page_panel_lists_prfaqs_waiting_on_the_viewer_only_when_there_are_some(small_org, shelved_at_three):
    assert "PR/FAQs waiting on you" in signed_in("cat").get("/").content.decode()
    assert "PR/FAQs waiting on you" not in signed_in("eve").get("/").content.decode()


def test_cli_funnel_as_json_and_board(small_org, shelved_at_three):
    result = runner.invoke(prfaqs, ["funnel", "--unit", "retail", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total"] == 2 and report["entries"] == []  # the product itself names none
    assert report["steps"][2]["reasons"] == [["market_too_small", 1]]
    as_eve = json.loads(runner.invoke(prfaqs, ["funnel", "--as", "eve", "--format", "json"]).output)
    assert {e["title"] for e in as_eve["entries"]} == {"Acme Pay Later", "Acme Gift Cards"}
    text = runner.invoke(prfaqs, ["funnel", "--as", "gus"]).output
    assert "the market is too small" in text and "Pay Later" not in text  # gus reads none of them
    assert runner.invoke(prfaqs, ["funnel", "--unit", "nowhere"]).exit_code == 1
    assert runner.invoke(prfaqs, ["funnel", "--since", "soon"]).exit_code == 2
    board = runner.invoke(prfaqs, ["board", "--as", "cat", "--format", "json"])
    assert board.exit_code == 0, board.output
    assert json.loads(board.output)["waiting"] == 1
    assert "waiting on you" in runner.invoke(prfaqs, ["board", "--as", "cat"]).output

"""What a new user meets first after `./scripts/start` (issue 9, item 7): the demo evaluated on load, every demo
leader and decider able to sign in, and the API reference served with no network."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from mechanisms.away_teams import services as away_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import page_text
from mechanisms.mandate import services as mandate_services
from mechanisms.org import services as org_services
from mechanisms.workflows.demo import DEMO_PASSWORD, load_demo

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo()


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD), username
    return client


def test_the_demo_is_evaluated_on_load_so_its_scorecards_show_the_planted_breaches(demo):
    assert mandate_services.last_evaluation(actor=SYSTEM) is not None
    recommendations = org_services.get_team_by_slug(slug="recommendations")
    card = mandate_services.team_scorecard(actor=SYSTEM, team_id=recommendations.id)
    assert "mandate/back-door" in card.by_rule
    page = page_text(signed_in("admin").get("/teams/recommendations/scorecard"))
    assert "mandate/back-door" in page
    assert "Not evaluated" not in page


def test_every_demo_team_leader_and_escalation_decider_signs_in_with_the_demo_password(demo):
    leaders = {t.leader_id for t in org_services.team_index() if t.leader_id is not None}
    deciders = {r.decider_id for r in away_services.list_requests(actor=SYSTEM).items if r.decider_id is not None}
    assert deciders, "the demo plants an escalated request"
    for person in org_services.get_people(ids=leaders | deciders).values():
        assert authenticate(username=person.handle, password=DEMO_PASSWORD) is not None, person.handle


def test_every_planted_request_can_be_moved_by_someone_who_signs_in(demo):
    """Each open demo request has a next step, and the person who holds it has an account."""
    page = away_services.list_requests(actor=SYSTEM, open_only=True)
    assert page.items
    for request in page.items:
        for team_id in (request.requesting_team_id, request.home_team_id):
            leader = org_services.get_team(team_id=team_id).leader_id
            assert leader is not None
            assert org_services.account_exists(username=org_services.get_person(person_id=leader).handle)
        if request.decider_id is not None:
            assert org_services.account_exists(username=org_services.get_person(person_id=request.decider_id).handle)


def test_the_api_reference_references_only_files_this_server_serves():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by this server (no network needed)"
        served = Client().get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])


# ------------------------------------------------------------------------------------------------ findings pages


def test_a_never_evaluated_scorecard_says_so_and_never_reads_as_clean(small_org):
    from mechanisms.kernel.testing import signed_in as signed_in_fixture

    text = page_text(signed_in_fixture("ann").get("/teams/checkout/scorecard"))
    assert "Not evaluated yet" in text
    assert "No findings" not in text
    unit = page_text(signed_in_fixture("admin").get("/units/retail"))
    assert "Not evaluated yet" in unit and "No findings" not in unit
    assert "Not evaluated yet" in page_text(signed_in_fixture("ann").get("/findings"))


def test_an_admin_evaluates_from_the_page_and_others_are_refused(small_org):
    from mechanisms.kernel.testing import signed_in as signed_in_fixture

    refused = signed_in_fixture("ann").post("/findings/evaluate", {"next": "/findings"})
    assert refused.status_code == 403
    assert mandate_services.last_evaluation(actor=SYSTEM) is None
    admin = signed_in_fixture("admin")
    assert "Evaluate the organization now" in page_text(admin.get("/findings"))
    done = admin.post("/findings/evaluate", {"next": "/teams/checkout/scorecard"})
    assert done.status_code == 302 and done["Location"] == "/teams/checkout/scorecard"
    assert mandate_services.last_evaluation(actor=SYSTEM) is not None
    assert "Last evaluated" in page_text(admin.get("/teams/checkout/scorecard"))


def test_an_evaluate_form_never_redirects_off_site(small_org):
    from mechanisms.kernel.testing import signed_in as signed_in_fixture

    done = signed_in_fixture("admin").post("/findings/evaluate", {"next": "https://evil.example/"})
    assert done["Location"] == "/findings"


def test_finding_subjects_link_to_their_pages_a_datastore_to_its_owning_service(demo):
    response = signed_in("maya.chen").get("/findings?rule=mandate/back-door")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/services/recommendations-engine"' in html  # the subject: a service
    assert 'href="/services/checkout-api">resource:default/orders-db' in html  # a datastore: its owner's page
    led_twice = signed_in("maya.chen").get("/findings?rule=org/stl-not-single-threaded").content.decode()
    assert re.search(r'href="/people/[a-z.]+"', led_twice)  # a person


def test_subject_pages_leave_unknown_references_out(small_org):
    pages = mandate_services.subject_pages(
        refs=["group:default/checkout", "resource:default/orders-db", "api:default/payments-http",
              "resource:default/nowhere", "system:default/x", "bad"]
    )
    assert pages == {
        "group:default/checkout": ("team", "checkout"),
        "resource:default/orders-db": ("service", "checkout-api"),
        "api:default/payments-http": ("service", "payments-api"),
    }


# ------------------------------------------------------------------------------------- one count, one vocabulary


def test_an_org_units_headline_and_its_history_row_count_the_same_findings_once(demo):
    root = org_services.find_org_unit(slug="larkspur")
    card = mandate_services.org_unit_scorecard(actor=SYSTEM, org_unit_id=root.id)
    newest = card.history[-1]
    # The person leading Reviews and Ratings is one finding in the unit above both teams, not two.
    assert card.by_rule["org/stl-not-single-threaded"] == 1
    assert (newest.errors, newest.warnings, newest.waived) == (card.errors, card.warnings, card.waived)
    assert newest.by_rule == card.by_rule
    text = page_text(signed_in("admin").get("/units/larkspur"))
    assert f"{card.errors} error" in text


def test_a_finding_is_filed_under_the_same_team_on_the_page_and_in_mech_check(demo, tmp_path):
    import io

    from mechanisms.interop.cli import run_check
    from mechanisms.workflows.backstage_io import export_backstage

    (finding,) = mandate_services.list_findings(actor=SYSTEM, rule="org/stl-not-single-threaded").items
    on_the_page = org_services.get_team(team_id=finding.team_id).slug
    export_backstage(folder=tmp_path)
    out = io.StringIO()
    run_check([str(tmp_path)], output_format="text", out=out)
    group = None
    for line in out.getvalue().splitlines():
        if line and not line.startswith(" "):
            group = line.strip()
        elif "org/stl-not-single-threaded" in line:
            break
    assert group == f"group:default/{on_the_page}"


# ------------------------------------------------------------------------------------------------ CLI polish


def test_mech_version_prints_the_installed_version():
    from importlib.metadata import version

    from typer.testing import CliRunner

    from mechanisms.config.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"mech {version('mechanisms')}"


def test_mech_check_on_a_folder_without_catalog_files_fails_naming_it(tmp_path):
    import io

    from mechanisms.interop.cli import run_check

    (tmp_path / "notes.txt").write_text("not a catalog")
    err = io.StringIO()
    assert run_check([str(tmp_path)], out=io.StringIO(), err=err) == 2
    assert str(tmp_path) in err.getvalue()


def test_a_missing_value_prints_as_the_pages_dash_never_none(capsys):
    from mechanisms.kernel.cli import emit_table

    emit_table("t", ["a", "b"], [("x", None)])
    out = capsys.readouterr().out
    assert "None" not in out and "│ -" in out


def test_the_preferences_help_names_only_kinds_that_are_sent(small_org):
    from mechanisms.kernel.testing import signed_in as signed_in_fixture
    from mechanisms.notifications import services as notifications_services

    kinds = notifications_services.known_kinds()
    assert "away_request.file" in kinds and "away_request.overdue" in kinds and "team.formed" in kinds
    assert "away_request.filed" not in kinds
    text = page_text(signed_in_fixture("ann").get("/inbox/preferences"))
    assert "away_request.accept" in text and "away_request.filed" not in text


def test_mech_inbox_kinds_lists_the_kinds(small_org):
    from typer.testing import CliRunner

    from mechanisms.config.cli import app

    result = CliRunner().invoke(app, ["inbox", "kinds"])
    assert result.exit_code == 0 and "away_request.hand_off" in result.output.split()


def test_findings_have_a_nav_entry_and_a_home_panel_that_says_when_nothing_is_known(small_org):
    from mechanisms.kernel.testing import signed_in as signed_in_fixture

    admin = signed_in_fixture("admin")
    before = admin.get("/").content.decode()
    assert 'href="/findings"' in before  # the navigation
    assert "API mandate" in before and "Not evaluated yet" in before
    mandate_services.evaluate_org(actor=SYSTEM)
    after = page_text(admin.get("/"))
    assert "API mandate" in after and "Not evaluated yet" not in after and "Last evaluated" in after


def test_the_home_panel_links_the_planted_breaches(demo):
    html = signed_in("maya.chen").get("/").content.decode()
    assert 'href="/findings?rule=mandate/back-door"' in html


def test_subject_pages_cost_three_queries_whatever_the_number_of_references(small_org, django_assert_max_num_queries):
    refs = [f"resource:default/store-{i}" for i in range(30)] + [f"api:default/api-{i}" for i in range(30)]
    refs += ["resource:default/orders-db", "api:default/payments-http", "component:default/checkout-api"]
    with django_assert_max_num_queries(3):
        pages = mandate_services.subject_pages(refs=refs)
    assert pages["resource:default/orders-db"] == ("service", "checkout-api")
    assert pages["api:default/payments-http"] == ("service", "payments-api")


def test_start_evaluates_an_organization_loaded_before_evaluation_on_load(small_org):
    from typer.testing import CliRunner

    from mechanisms.config.cli import app

    assert mandate_services.last_evaluation(actor=SYSTEM) is None
    result = CliRunner().invoke(app, ["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "demo not loaded" in result.output and mandate_services.last_evaluation(actor=SYSTEM) is not None
    again = CliRunner().invoke(app, ["demo", "--if-empty"])
    assert "evaluated the mandate once" not in again.output


def test_the_mech_command_starts_in_a_fresh_process():
    """Every installed app is read for its mounts before Django is set up; a third-party app must not break that."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", "mechanisms.config.cli", "--version"], cwd=root, capture_output=True, text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("mech ")

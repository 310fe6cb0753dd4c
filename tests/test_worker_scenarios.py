"""Background work across apps (docs/worker.md): an overdue away-team answer is reminded by `mech worker --once`
with no cron, at most once per period, and escalated up the home leader's management chain; the warranty's end
closes a request from the schedule; the mandate re-evaluates in the worker, not on the writer's thread."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from typer.testing import CliRunner

from mechanisms.audit import services as audit_services
from mechanisms.away_teams import services as away
from mechanisms.kernel.actor import Actor
from mechanisms.mandate import services as mandate
from mechanisms.notifications import services as notifications
from mechanisms.org import services as org

# Real commits: the worker claims rows in its own transactions, as served.
pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system("test")
runner = CliRunner()
MONDAY = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)  # filed then, the answer is due by the end of Monday 9th


def worker_once():
    from mechanisms.config.cli import app

    result = runner.invoke(app, ["worker", "--once", "--no-migrate", "--interval", "0"])
    assert result.exit_code == 0, result.output
    return result


def inbox(o, handle: str) -> list[str]:
    return [i.title for i in notifications.list_inbox(actor=o.actor(handle), limit=200).items]


def history(request_id) -> list[str]:
    page = audit_services.list_changes(
        actor=SYSTEM, subject_type="away_team_request", subject_id=str(request_id), limit=200
    )
    return [c.verb for c in sorted(page.items, key=lambda c: c.id)]


def file(o):
    return away.file_request(
        actor=o.actor("bob"),
        service_id=o.services["payments-api"].id,
        requesting_team_id=o.teams["checkout"].id,
        title="Refunds by API",
        what="An endpoint to refund an order.",
        why="Customers wait days.",
    )


def test_an_overdue_answer_is_reminded_by_the_worker_with_no_cron(small_org, database_tasks):
    o = small_org
    with time_machine.travel(MONDAY, tick=False):
        r = file(o)
    with time_machine.travel(MONDAY + dt.timedelta(days=6), tick=False):  # due Monday 9th: not late yet
        worker_once()
    assert not any(t.startswith("Overdue") for t in inbox(o, "eve"))
    with time_machine.travel(MONDAY + dt.timedelta(days=8), tick=False):
        result = worker_once()
    assert "notifications.deadlines" in result.output
    overdue = [t for t in inbox(o, "eve") if t.startswith("Overdue")]
    assert overdue == ["Overdue: Refunds by API waits for an answer from Payments"]
    assert "Overdue: Refunds by API waits for an answer from Payments" in inbox(o, "dan")  # the home leader too
    assert not any(t.startswith("Overdue") for t in inbox(o, "bob"))  # the requesting side is not reminded
    assert history(r.id) == ["file", "remind"]


def test_a_reminder_is_sent_at_most_once_per_period(small_org):
    o = small_org
    with time_machine.travel(MONDAY, tick=False):
        file(o)
    day = MONDAY + dt.timedelta(days=8)
    assert notifications.run_deadlines(actor=SYSTEM, now=day).reminded == 1
    assert notifications.run_deadlines(actor=SYSTEM, now=day + dt.timedelta(hours=3)).reminded == 0
    assert notifications.run_deadlines(actor=SYSTEM, now=day + dt.timedelta(days=1)).reminded == 1
    # A worker that was down for three days sends one reminder, not three.
    assert notifications.run_deadlines(actor=SYSTEM, now=day + dt.timedelta(days=4)).reminded == 1
    assert len([t for t in inbox(o, "eve") if t.startswith("Overdue")]) == 3


def test_an_answer_clears_the_deadline(small_org):
    o = small_org
    with time_machine.travel(MONDAY, tick=False):
        r = file(o)
        away.decline_request(actor=o.actor("eve"), request_id=r.id, version=r.version, reason="Not on our roadmap")
    assert notifications.run_deadlines(actor=SYSTEM, now=MONDAY + dt.timedelta(days=20)).reminded == 0
    deadline = notifications.find_deadline(actor=SYSTEM, subject_type="away_team_request", subject_id=r.id)
    assert deadline is not None and deadline.cleared_at is not None


def test_escalation_climbs_the_home_leaders_chain_one_manager_per_period(small_org):
    o = small_org  # payments is led by dan, who reports to vp-retail, who reports to the ceo
    with time_machine.travel(MONDAY, tick=False):
        file(o)
    due = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)  # end of the answer's due day
    notifications.run_deadlines(actor=SYSTEM, now=due + dt.timedelta(days=4, hours=23))
    assert not any(t.startswith("Escalated") for t in inbox(o, "vp-retail"))
    report = notifications.run_deadlines(actor=SYSTEM, now=due + dt.timedelta(days=5, hours=1))
    assert report.escalated == 1
    assert inbox(o, "vp-retail").count("Escalated to you: Refunds by API waits for an answer from Payments") == 1
    assert not any(t.startswith("Escalated") for t in inbox(o, "ceo"))
    notifications.run_deadlines(actor=SYSTEM, now=due + dt.timedelta(days=6))  # same step: nobody new
    assert not any(t.startswith("Escalated") for t in inbox(o, "ceo"))
    notifications.run_deadlines(actor=SYSTEM, now=due + dt.timedelta(days=10, hours=1))
    assert any(t.startswith("Escalated") for t in inbox(o, "ceo"))
    assert inbox(o, "vp-retail").count("Escalated to you: Refunds by API waits for an answer from Payments") == 1


def test_only_an_admin_runs_the_deadlines(small_org):
    from mechanisms.kernel.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        notifications.run_deadlines(actor=small_org.actor("bob"))


def test_the_mandate_re_evaluates_in_the_worker_once_for_changes_made_meanwhile(small_org, database_tasks):
    o = small_org
    mandate.evaluate_org(actor=SYSTEM)

    def change_runs() -> int:
        changes = audit_services.list_changes(actor=SYSTEM, subject_type="mandate_evaluation", limit=200).items
        return len([c for c in changes if c.subject_label == "change evaluation"])

    org.add_member(actor=SYSTEM, team_id=o.teams["identity"].id, person_id=o.people["hal"].id)
    org.add_member(actor=SYSTEM, team_id=o.teams["payments"].id, person_id=o.people["cat"].id)
    assert change_runs() == 0  # the writes returned without evaluating anything
    worker_once()
    assert change_runs() == 1  # both changes, one run


def test_mech_worker_without_the_database_queue_is_a_usage_error(settings):
    from mechanisms.config.cli import app

    result = runner.invoke(app, ["worker", "--once", "--no-migrate"])  # the tests' immediate backend has no queue
    assert result.exit_code == 2
    assert "not the database backend" in result.output


def test_mech_inbox_deadlines_reminds_by_hand(small_org):
    from mechanisms.config.cli import app

    o = small_org
    with time_machine.travel(MONDAY, tick=False):
        file(o)
    with time_machine.travel(MONDAY + dt.timedelta(days=8), tick=False):
        result = runner.invoke(app, ["inbox", "deadlines", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"reminded": 1' in result.output


def test_a_request_filed_before_deadlines_existed_is_tracked_and_reminded_by_the_sweep(small_org):
    from mechanisms.notifications.models import Deadline as DeadlineRow  # only to recreate a pre-upgrade request

    o = small_org
    with time_machine.travel(MONDAY, tick=False):
        r = file(o)
    DeadlineRow.objects.filter(subject_type="away_team_request", subject_id=r.id).delete()
    with time_machine.travel(MONDAY + dt.timedelta(days=8), tick=False):
        assert away.sweep(actor=SYSTEM).reminded == 1
        assert away.sweep(actor=SYSTEM).reminded == 0
    assert notifications.find_deadline(actor=SYSTEM, subject_type="away_team_request", subject_id=r.id) is not None


def test_mech_worker_status_counts_the_queue_and_names_each_jobs_last_run(small_org, database_tasks):
    import json

    from mechanisms.config.cli import app

    worker_once()
    result = runner.invoke(app, ["worker", "--status", "--no-migrate"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["tasks"].get("successful", 0) >= 1
    assert status["jobs"]["away_teams.sweep"]["last_finished_at"] is not None
    assert status["jobs"]["away_teams.sweep"]["every_seconds"] == 3600

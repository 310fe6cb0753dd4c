from datetime import UTC, date, datetime

from mechanisms.corrections.contracts import ActionItem, ActionType, ImpactFigure, RootCause, TimelineEntry, Why
from mechanisms.corrections.rules import (
    age_bucket,
    check_coe,
    close_refusal,
    lint_action_items,
    lint_root_cause,
    lint_whys,
    overdue,
    recurrences,
)

PEOPLE = ["Ana Lima", "alima"]


def test_mechanism_gap_root_cause_passes():
    assert (
        lint_root_cause(statement="The deploy tool lacked a staged rollout", tag="config-drift", people_names=PEOPLE)
        == []
    )


def test_blame_and_person_name_give_two_problems():
    assert len(lint_root_cause(statement="human error by Ana", tag="x", people_names=PEOPLE)) == 2


def test_handle_is_refused():
    assert lint_root_cause(statement="alima pushed it", tag="x", people_names=PEOPLE)


def test_fewer_than_three_whys_is_an_error():
    whys = [Why(1, "q", "a"), Why(2, "q", "a")]
    assert any(p.level == "error" for p in lint_whys(whys=whys, root_cause=None))


def test_only_mitigations_is_refused():
    item = ActionItem("A1", ActionType.MITIGATE, "t", owner_id=1, due_on=date(2026, 1, 1))
    assert [p.field for p in lint_action_items(items=[item])] == ["action_items"]


def test_close_refused_until_verified():
    item = ActionItem("A1", ActionType.PREVENT, "t", 1, date(2026, 1, 1), date(2026, 1, 2), "", None)
    assert "A1" in close_refusal(items=[item]).message
    ok = ActionItem("A1", ActionType.PREVENT, "t", 1, date(2026, 1, 1), date(2026, 1, 2), "url", 2)
    assert close_refusal(items=[ok]) is None


def test_age_buckets_edges():
    assert [age_bucket(d) for d in (7, 8, 30, 31, 90, 91)] == ["0-7", "8-30", "8-30", "31-90", "31-90", ">90"]


def test_a_tag_that_is_not_a_slug_is_refused():
    problems = lint_root_cause(statement="No staged rollout", tag="Config Drift", people_names=PEOPLE)
    assert [p.field for p in problems] == ["root_cause.tag"]


def test_four_whys_warn_and_a_hole_in_the_positions_is_refused():
    four = [Why(n, "why?", "because") for n in (1, 2, 3, 4)]
    assert [(p.field, p.level) for p in lint_whys(whys=four, root_cause=RootCause("No canary", "no-canary"))] == [
        ("whys", "warning")
    ]
    holed = [Why(n, "why?", "because") for n in (1, 2, 4, 5, 6)]
    assert [p.level for p in lint_whys(whys=holed, root_cause=RootCause("No canary", "no-canary"))] == ["error"]


def test_an_item_without_owner_or_due_date_and_a_duplicate_key_are_named():
    items = [
        ActionItem("A1", ActionType.PREVENT, "canary"),
        ActionItem("A1", ActionType.DETECT, "alarm", 1, date(2026, 2, 1)),
    ]
    fields = [p.field for p in lint_action_items(items=items)]
    assert fields == ["action_items[0].owner_id", "action_items[0].due_on", "action_items[1].key"]


def test_the_checker_names_missing_impact_an_unordered_timeline_and_no_prevention():
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    problems = check_coe(
        root_cause=RootCause("The deploy tool lacked a staged rollout", "no-staged-rollout"),
        people_names=PEOPLE,
        whys=[Why(n, "why?", "because") for n in range(1, 6)],
        items=[ActionItem("A1", ActionType.PREVENT, "staged rollout", 1, date(2026, 4, 1))],
        impact=[ImpactFigure("failed orders", 1200, "")],
        timeline=[TimelineEntry(at, "alarm"), TimelineEntry(at.replace(hour=11), "deploy")],
        prevention=" ",
    )
    assert [p.field for p in problems] == ["impact", "timeline[1].at", "prevention"]


def test_only_open_items_past_their_due_date_are_overdue():
    late = ActionItem("A1", ActionType.PREVENT, "t", 1, date(2026, 1, 1))
    done = ActionItem("A2", ActionType.PREVENT, "t", 1, date(2026, 1, 1), date(2026, 1, 5))
    due_today = ActionItem("A3", ActionType.DETECT, "t", 1, date(2026, 2, 1))
    assert overdue(items=[late, done, due_today], today=date(2026, 2, 1)) == [late]


def test_recurrence_links_the_same_service_or_the_same_root_cause_tag_with_open_items():
    earlier = [(1, 7, ["no-canary"], ["A2"]), (2, 8, ["config-drift"], []), (3, 9, ["disk-full"], ["B1"])]
    assert recurrences(service_id=7, tags=["config-drift"], earlier=earlier) == [
        (1, "same service", ("A2",)),
        (2, "same root cause tag config-drift", ()),
    ]

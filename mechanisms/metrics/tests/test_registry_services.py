"""The metric registry's rules (MECHANISMS.md §8), through its services: compound metrics refused in every form, an
input metric controllable by its team, ratios of two base metrics allowed, lineage without cycles, every
definition kept as a revision, plans of real periods, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mechanisms.audit import services as audit_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.metrics import services
from mechanisms.metrics.contracts import Kind, MetricChanges, Period

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def define(org, handle="ann", **kw):
    values = {
        "name": "Orders",
        "title": "Orders placed",
        "kind": "output",
        "definition": "Orders **placed** per day.",
        "unit": "orders",
        "direction": "up",
        "owner_id": org.people["ann"].id,
        "team_id": org.teams["checkout"].id,
        "lever": "",
        "aggregation": "sum",
        "comparison": "percent",
        "grain": "day",
        "number_format": "",
    }
    values.update(kw)
    return services.define_metric(actor=org.actor(handle), **values)


def field_of(call):
    with pytest.raises(RuleViolation) as caught:
        call()
    return caught.value.field, caught.value.message


def test_define_keeps_revision_one_and_audits(small_org):
    m = define(small_org, name="Defects/Million")
    assert (m.name, m.kind, m.revision, m.owner_name, m.team_name) == (
        "Defects/Million", Kind.OUTPUT, 1, "Ann Lee", "Checkout"
    )  # fmt: skip
    rev = services.get_revision(actor=small_org.actor("eve"), metric_id=m.id, number=1)
    assert rev.fields["definition"] == "Orders **placed** per day." and rev.fields["formula"] is None
    changes = audit_services.list_changes(actor=SYSTEM, subject_type="metric", subject_id=m.id)
    assert [c.verb for c in changes.items] == ["create"]


@pytest.mark.parametrize("name", ["", "-lead", "orders;drop", "a" * 121, "naïve*", "x\ty", "new", "Orders/data"])
def test_bad_names_are_refused(small_org, name):
    assert field_of(lambda: define(small_org, name=name))[0] == "name"


def test_names_are_unique_ignoring_case(small_org):
    define(small_org, name="Page Views")
    assert field_of(lambda: define(small_org, name="page views"))[0] == "name"


def test_an_input_metric_needs_a_lever_and_a_team_owner(small_org):
    team = small_org.teams["checkout"].id
    assert field_of(lambda: define(small_org, kind="input", lever=" "))[0] == "lever"
    field, message = field_of(
        lambda: define(small_org, kind="input", lever="faster page", owner_id=small_org.people["eve"].id)
    )
    assert field == "owner_id" and "member or the leader" in message
    m = define(small_org, kind="input", lever="faster page", owner_id=small_org.people["bob"].id, team_id=team)
    assert m.kind is Kind.INPUT and m.lever == "faster page"
    # An output metric's owner is any active person.
    assert define(small_org, name="GMS", owner_id=small_org.people["eve"].id).owner_name == "Eve Park"


COMPOUND = [
    {"weights": {"Orders": 0.5, "Visits": 0.5}},
    {"sum": ["Orders", "Visits"]},
    {"blend": ["Orders", "Visits"]},
    {"expression": "Orders * 0.3 + Visits * 0.7"},
    "Orders / Visits",
    ["Orders", "Visits"],
    {"ratio": {"numerator": "Orders", "denominator": "Visits", "weight": 2}},
    {"ratio": {"numerator": {"sum": ["Orders", "Visits"]}, "denominator": "Visits"}},
    {"ratio": {"numerator": "Orders", "denominator": "Visits"}, "plus": "Visits"},
    {"ratio": ["Orders", "Visits"]},
]


@pytest.mark.parametrize("formula", COMPOUND, ids=range(len(COMPOUND)))
def test_compound_metrics_are_refused_in_every_form(small_org, formula):
    define(small_org, name="Orders")
    define(small_org, name="Visits")
    field, message = field_of(lambda: define(small_org, name="Fitness", formula=formula))
    assert field == "formula" and "compound metric" in message


def test_a_ratio_of_two_base_metrics_is_allowed_but_not_of_itself_or_a_ratio(small_org):
    define(small_org, name="Orders")
    define(small_org, name="Visits")
    ratio = {"ratio": {"numerator": "Orders", "denominator": "Visits"}}
    conv = define(small_org, name="Conversion", formula=ratio, comparison="bps")
    assert (conv.numerator, conv.denominator, conv.formula) == ("Orders", "Visits", ratio)
    assert (
        field_of(
            lambda: define(small_org, name="Self", formula={"ratio": {"numerator": "Self", "denominator": "Visits"}})
        )[0]
        == "formula"
    )
    nested = {"ratio": {"numerator": "Conversion", "denominator": "Visits"}}
    assert "compound" in field_of(lambda: define(small_org, name="Nested", formula=nested))[1]
    assert (
        field_of(
            lambda: define(small_org, name="Same", formula={"ratio": {"numerator": "Orders", "denominator": "orders"}})
        )[0]
        == "formula"
    )
    assert (
        field_of(
            lambda: define(small_org, name="Ghost", formula={"ratio": {"numerator": "Orders", "denominator": "Nope"}})
        )[0]
        == "formula"
    )
    assert field_of(lambda: define(small_org, name="Mean", formula=ratio, aggregation="mean"))[0] == "aggregation"
    # An operand of a ratio stays a base metric.
    orders = services.find_metric(actor=SYSTEM, name="Orders")
    with pytest.raises(RuleViolation) as caught:
        services.revise_metric(
            actor=small_org.actor("ann"), metric_id=orders.id, version=orders.version, reason="try",
            changes=MetricChanges(formula={"ratio": {"numerator": "Visits", "denominator": "Conversion"}}),
        )  # fmt: skip
    assert caught.value.field == "formula"


def test_revising_creates_revision_n_plus_one_and_keeps_n_readable(small_org):
    m = define(small_org)
    with pytest.raises(RuleViolation) as caught:
        services.revise_metric(actor=small_org.actor("ann"), metric_id=m.id, version=m.version, reason=" ",
                               changes=MetricChanges(definition="x"))  # fmt: skip
    assert caught.value.field == "reason"
    r2 = services.revise_metric(
        actor=small_org.actor("bob"), metric_id=m.id, version=m.version, reason="count shipped orders only",
        changes=MetricChanges(definition="Orders shipped per day.", unit="shipments"),
    )  # fmt: skip
    assert (r2.revision, r2.definition, r2.version) == (2, "Orders shipped per day.", m.version + 1)
    one = services.get_revision(actor=SYSTEM, metric_id=m.id, number=1)
    two = services.get_revision(actor=SYSTEM, metric_id=m.id, number=2)
    assert one.fields["definition"] == "Orders **placed** per day."
    assert two.changed == {"definition": ("Orders **placed** per day.", "Orders shipped per day."),
                           "unit": ("orders", "shipments")}  # fmt: skip
    assert two.reason == "count shipped orders only" and two.author_name == "Bob Ruiz"
    page = services.list_revisions(actor=SYSTEM, metric_id=m.id)
    assert [r.number for r in page.items] == [2, 1] and page.total == 2
    with pytest.raises(NotFound):
        services.get_revision(actor=SYSTEM, metric_id=m.id, number=3)
    # A stale version is a conflict, and changes nothing.
    with pytest.raises(Conflict):
        services.revise_metric(actor=small_org.actor("ann"), metric_id=m.id, version=m.version, reason="again",
                               changes=MetricChanges(title="Old read"))  # fmt: skip
    assert services.get_metric(actor=SYSTEM, metric_id=m.id).revision == 2
    verbs = [c.verb for c in audit_services.list_changes(actor=SYSTEM, subject_type="metric", subject_id=m.id).items]
    assert sorted(verbs) == ["create", "revise"]


def test_revising_to_input_checks_controllability_against_the_result(small_org):
    m = define(small_org, owner_id=small_org.people["eve"].id)
    with pytest.raises(RuleViolation) as caught:
        services.revise_metric(actor=small_org.actor("ann"), metric_id=m.id, version=m.version, reason="input now",
                               changes=MetricChanges(kind="input", lever="a/b test the button"))  # fmt: skip
    assert caught.value.field == "owner_id"


def test_writes_are_decided_by_policy(small_org):
    m = define(small_org, owner_id=small_org.people["eve"].id)  # eve owns it; checkout's team
    with pytest.raises(PermissionDenied):
        define(small_org, handle="eve", name="Other")  # eve is not in checkout
    with pytest.raises(PermissionDenied):
        services.revise_metric(actor=small_org.actor("gus"), metric_id=m.id, version=m.version, reason="mine",
                               changes=MetricChanges(title="Gus's"))  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.list_metrics(actor=Actor.anonymous())
    m = services.revise_metric(actor=small_org.actor("eve"), metric_id=m.id, version=m.version, reason="owner",
                               changes=MetricChanges(title="Orders (owner's)"))  # fmt: skip
    # Moving it to a team the actor is not in is refused, even to its owner.
    with pytest.raises(PermissionDenied):
        services.revise_metric(actor=small_org.actor("bob"), metric_id=m.id, version=m.version, reason="move",
                               changes=MetricChanges(team_id=small_org.teams["identity"].id))  # fmt: skip


def test_lineage_needs_a_reason_and_refuses_cycles(small_org):
    pages = define(small_org, name="pages")
    assert field_of(lambda: define(small_org, name="pages seen", evolved_from_id=pages.id))[0] == "evolution_reason"
    with pytest.raises(NotFound):
        define(small_org, name="nowhere", evolved_from_id=999999, evolution_reason="x")
    seen = define(small_org, name="pages seen", evolved_from_id=pages.id, evolution_reason="a page not seen is no view")
    stock = define(small_org, name="pages seen in stock", evolved_from_id=seen.id,
                   evolution_reason="an out-of-stock page sells nothing")  # fmt: skip
    view = services.lineage(actor=SYSTEM, metric_id=seen.id)
    assert [a.name for a in view.ancestors] == ["pages"]
    assert [(d.name, d.evolved_from, d.reason) for d in view.descendants] == [
        ("pages seen in stock", "pages seen", "an out-of-stock page sells nothing")
    ]
    assert [a.name for a in services.lineage(actor=SYSTEM, metric_id=stock.id).ancestors] == ["pages", "pages seen"]
    for target in (stock, pages):
        current = services.get_metric(actor=SYSTEM, metric_id=pages.id)
        with pytest.raises(RuleViolation) as caught:
            services.revise_metric(
                actor=small_org.actor("ann"), metric_id=pages.id, version=current.version, reason="loop",
                changes=MetricChanges(evolved_from_id=target.id, evolution_reason="round and round"),
            )  # fmt: skip
        assert caught.value.field == "evolved_from_id"


def test_retire_and_list_filters(small_org):
    a = define(small_org, name="Orders")
    define(small_org, name="Button speed", kind="input", lever="ship smaller pages", definition="Time to button.")
    define(small_org, name="Ledger", team_id=small_org.teams["payments"].id, handle="dan",
           owner_id=small_org.people["dan"].id)  # fmt: skip
    retired = services.retire_metric(actor=small_org.actor("cat"), metric_id=a.id, version=a.version, reason="old")
    assert retired.retired_on is not None
    with pytest.raises(RuleViolation):
        services.retire_metric(actor=small_org.actor("cat"), metric_id=a.id, version=retired.version)
    with pytest.raises(RuleViolation):
        services.revise_metric(actor=small_org.actor("ann"), metric_id=a.id, version=retired.version, reason="x",
                               changes=MetricChanges(title="y"))  # fmt: skip
    names = lambda **kw: [m.name for m in services.list_metrics(actor=small_org.actor("gus"), **kw).items]  # noqa: E731
    assert names() == ["Button speed", "Ledger", "Orders"]
    assert names(kind="input") == ["Button speed"]
    assert names(team_id=small_org.teams["payments"].id) == ["Ledger"]
    assert names(text="button") == ["Button speed"]
    assert names(retired=False) == ["Button speed", "Ledger"]
    assert names(limit=1, offset=1) == ["Ledger"]
    assert services.count_metrics(actor=SYSTEM) == {"input": 1, "output": 2}
    with pytest.raises(RuleViolation):
        services.list_metrics(actor=SYSTEM, kind="blend")
    assert services.find_metric(actor=SYSTEM, name="orders").id == a.id
    assert services.find_metric(actor=SYSTEM, name="nope") is None


def test_plans_are_real_periods_all_or_nothing(small_org):
    m = define(small_org)
    good = [
        ("week", dt.date(2024, 1, 7), dt.date(2024, 1, 13), 100),
        ("month", dt.date(2024, 2, 1), dt.date(2024, 2, 29), 400.5),
        ("quarter", dt.date(2024, 2, 1), dt.date(2024, 4, 30), 1200),
        ("year", dt.date(2024, 2, 1), dt.date(2025, 1, 31), 5000),
    ]
    plan = services.set_plan(actor=small_org.actor("bob"), metric_id=m.id, values=good)
    assert [(p.period, p.value) for p in plan] == [
        (Period.MONTH, 400.5), (Period.QUARTER, 1200.0), (Period.WEEK, 100.0), (Period.YEAR, 5000.0)
    ]  # fmt: skip
    bad = [
        ("week", dt.date(2024, 1, 7), dt.date(2024, 1, 14), 1),
        ("month", dt.date(2024, 2, 1), dt.date(2024, 2, 28), 1),
        ("month", dt.date(2024, 2, 2), dt.date(2024, 3, 1), 1),
        ("quarter", dt.date(2024, 1, 1), dt.date(2024, 3, 30), 1),
        ("year", dt.date(2024, 1, 1), dt.date(2024, 12, 30), 1),
        ("fortnight", dt.date(2024, 1, 1), dt.date(2024, 1, 14), 1),
        ("month", dt.date(2024, 3, 1), dt.date(2024, 3, 31), float("nan")),
        ("month", dt.date(2024, 3, 1), dt.date(2024, 3, 31), "7"),
    ]
    for item in bad:
        values = [("month", dt.date(2024, 5, 1), dt.date(2024, 5, 31), 9), item]
        with pytest.raises(RuleViolation) as caught:
            services.set_plan(actor=small_org.actor("ann"), metric_id=m.id, values=values)
        assert caught.value.field.startswith("values[1]")
    assert services.list_plan(actor=SYSTEM, metric_id=m.id).total == 4  # nothing of the bad loads was written
    with pytest.raises(PermissionDenied):
        services.set_plan(actor=small_org.actor("eve"), metric_id=m.id, values=good[:1])
    plan = services.set_plan(actor=small_org.actor("ann"), metric_id=m.id, values=[good[0][:3] + (90,)], replace=True)
    assert [(p.period, p.value) for p in plan] == [(Period.WEEK, 90.0)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(dt.date(1999, 1, 1), dt.date(2099, 12, 1)), months=st.sampled_from([1, 3, 12]))
def test_month_aligned_periods_are_accepted_from_any_first_day(start, months):
    from mechanisms.metrics.services import _month_end, _period_problem

    first = start.replace(day=1)
    last = first
    for _ in range(months - 1):
        last = _month_end(last) + dt.timedelta(days=1)
    period = {1: "month", 3: "quarter", 12: "year"}[months]
    assert _period_problem(period, first, _month_end(last)) == ""
    assert _period_problem(period, first, _month_end(last) - dt.timedelta(days=1)) != ""

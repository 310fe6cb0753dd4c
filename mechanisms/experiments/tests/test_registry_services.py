"""The experiments registry (MECHANISMS.md §9, issue 13 item 1 and "Bad input"): a plan is judged when defined
(weights, variations, the primary metric an input metric, the power calculation), frozen once the experiment
starts (a change is a new, reasoned plan version kept beside the first), a stale version is a 409, bad input
changes nothing, and the machine's moves set what they say (start, an early stop) and tell the team."""

from __future__ import annotations

import dataclasses

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.experiments import services
from mechanisms.experiments.contracts import (
    Engine,
    ExperimentChanges,
    ExperimentState,
    MetricSpec,
    Statistic,
    StopRule,
    Variation,
)
from mechanisms.experiments.tests.helpers import (
    GUARDRAIL,
    OUTPUT,
    PRIMARY,
    SYSTEM,
    experiment,
    metrics,
    move,
    plan,
    revised,
    started,
)
from mechanisms.kernel.errors import Conflict, PermissionDenied, RuleViolation
from mechanisms.notifications import services as notifications_services

pytestmark = pytest.mark.django_db


def _written() -> tuple[int, int]:
    """What a refused write must leave as it was: the experiments and the experiment audit records."""
    page = audit_services.list_changes(actor=SYSTEM, subject_type=services.SUBJECT_TYPE, limit=1)
    return services.list_experiments(actor=SYSTEM).total, page.total


def test_a_defined_experiment_keeps_its_plan_as_version_one(small_org):
    o = small_org
    view = experiment(o)
    assert view.state is ExperimentState.DRAFT
    assert (view.team_name, view.owner_name, view.service_name) == ("Checkout", "Bob Ruiz", "checkout-api")
    assert view.plan.primary.metric == PRIMARY and view.plan_number == 1 and view.hash_version == 2
    versions = services.list_plan_versions(actor=o.actor("eve"), key=view.key)
    assert [(v.number, v.after_start, v.reason, v.plan) for v in versions.items] == [(1, False, "", view.plan)]
    assert services.get_experiment(actor=o.actor("eve"), key=view.key) == view
    changes = audit_services.list_changes(actor=SYSTEM, subject_type=services.SUBJECT_TYPE, subject_id=view.id)
    assert [c.verb for c in changes.items] == ["define"]


def _bad_plans():
    two = (Variation("control", "Control", 0.5), Variation("b", "B", 0.5))
    return [
        ("weights sum to 0.9", dict(weights=(0.5, 0.4)), "plan.variations"),
        ("a weight of 0", dict(weights=(1.0, 0.0)), "plan.variations[1].weight"),
        ("one variation", dict(weights=(1.0,)), "plan.variations"),
        ("keys not unique", dict(keys=("a", "a")), "plan.variations[1].key"),
        ("a key not a slug", dict(keys=("control", "Big B")), "plan.variations[1].key"),
        ("an output primary metric", dict(primary=OUTPUT), "plan.primary.metric"),
        ("an unknown primary metric", dict(primary="nope"), "plan.primary.metric"),
        ("an unknown guardrail", dict(guardrails=("nope",)), "plan.guardrails[0].metric"),
        ("a ratio without a denominator", dict(statistic=Statistic.RATIO), "plan.primary.denominator"),
        ("mde 0", dict(mde=0.0), "plan.mde"),
        ("alpha 1", dict(alpha=1.0), "plan.alpha"),
        ("power 0", dict(power=0.0), "plan.power"),
        ("end date rule without the end", dict(stop_rule=StopRule.END_DATE), "plan.planned_end"),
        ("no size and no baseline", dict(planned_sample_size=0), "plan.planned_sample_size"),
        (
            "a baseline the power calculation refuses",
            dict(planned_sample_size=0, baseline_mean=1.5),
            "plan.baseline_mean",
        ),
        (
            "CUPED on a ratio",
            {
                "plan_": dataclasses.replace(
                    plan(),
                    variations=two,
                    primary=MetricSpec(PRIMARY, Statistic.RATIO, cuped=True, denominator=GUARDRAIL),
                )
            },
            "plan.primary.cuped",
        ),
    ]


@pytest.mark.parametrize(("case", "fields", "field"), _bad_plans(), ids=[c[0] for c in _bad_plans()])
def test_a_bad_plan_is_refused_naming_the_field_and_nothing_is_written(small_org, case, fields, field):
    o = small_org
    metrics(o)
    before = _written()
    with pytest.raises(RuleViolation) as refused:
        experiment(o, **fields)
    assert refused.value.field == field, refused.value.message
    assert _written() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": "Not A Slug"}, "key"),
        ({"owner": "eve"}, "owner_id"),  # eve is in payments, not checkout
        ({"service": "payments-api"}, "service_id"),  # owned by payments
        ({"connection": "nowhere"}, "connection"),  # not in MECH_METRICS_CONNECTIONS
    ],
)
def test_a_bad_key_owner_or_service_is_refused(small_org, fields, field):
    o = small_org
    metrics(o)
    before = _written()
    with pytest.raises(RuleViolation) as refused:
        experiment(o, **fields)
    assert refused.value.field == field
    assert _written() == before


def test_only_the_team_or_an_admin_defines_and_a_key_is_unique(small_org):
    o = small_org
    metrics(o)
    with pytest.raises(PermissionDenied):
        experiment(o, by="eve")
    experiment(o, by="system")  # an admin (the product) may
    with pytest.raises(Conflict) as taken:
        experiment(o, by="cat")
    assert taken.value.field == "key"


def test_the_power_calculation_gives_the_planned_sample_size(small_org):
    o = small_org
    view = experiment(o, planned_sample_size=0, baseline_mean=0.1, mde=0.1)
    # two equal arms of a proportion p = 0.1, a 10% relative change: per arm (1.96 + 0.8416)^2 * 2 p(1-p) / (0.01)^2
    per_arm = (1.959963984540054 + 0.8416212335729143) ** 2 * 2 * 0.09 / 0.01**2
    assert abs(view.plan.planned_sample_size - 2 * per_arm) <= 4
    assert services.get_experiment(actor=SYSTEM, key=view.key).plan.planned_sample_size == view.plan.planned_sample_size


def test_a_draft_is_edited_in_place_and_a_stale_version_is_a_conflict(small_org):
    o = small_org
    view = experiment(o)
    edited = services.edit_experiment(
        actor=o.actor("cat"),
        key=view.key,
        version=view.version,
        changes=ExperimentChanges(name="One click", plan=revised(view, mde=0.05)),
    )
    assert (edited.name, edited.plan.mde, edited.plan_number, edited.version) == ("One click", 0.05, 1, 2)
    versions = services.list_plan_versions(actor=SYSTEM, key=view.key).items
    assert [(v.number, v.plan.mde) for v in versions] == [(1, 0.05)]
    before = _written()
    with pytest.raises(Conflict):
        services.edit_experiment(
            actor=o.actor("cat"), key=view.key, version=view.version, changes=ExperimentChanges(name="Stale")
        )
    with pytest.raises(RuleViolation) as refused:
        services.edit_experiment(
            actor=o.actor("cat"),
            key=view.key,
            version=edited.version,
            changes=ExperimentChanges(plan=revised(view, alpha=2.0)),
        )
    assert refused.value.field == "plan.alpha"
    with pytest.raises(PermissionDenied):
        services.edit_experiment(
            actor=o.actor("eve"), key=view.key, version=edited.version, changes=ExperimentChanges(name="Eve's")
        )
    assert _written() == before
    assert services.get_experiment(actor=SYSTEM, key=view.key) == edited


def test_after_start_the_plan_is_frozen_and_a_revision_is_kept_beside_the_first(small_org):
    o = small_org
    view = started(o)
    assert view.state is ExperimentState.RUNNING and view.started_at is not None
    with pytest.raises(RuleViolation) as frozen:
        services.edit_experiment(
            actor=o.actor("bob"), key=view.key, version=view.version, changes=ExperimentChanges(plan=revised(view))
        )
    assert frozen.value.field == "plan" and "frozen since" in frozen.value.message
    before = _written()
    never = {
        "variations": revised(view, variations=(Variation("control", "Control", 0.6), Variation("b", "B", 0.4))),
        "primary": revised(view, primary=MetricSpec(GUARDRAIL)),
        "engine": revised(view, engine=Engine.BAYESIAN),
    }
    for name, changed in never.items():
        with pytest.raises(RuleViolation) as refused:
            services.revise_plan(actor=o.actor("bob"), key=view.key, version=view.version, plan=changed, reason="x")
        assert refused.value.field == f"plan.{name}"
    with pytest.raises(RuleViolation) as no_reason:
        services.revise_plan(
            actor=o.actor("bob"), key=view.key, version=view.version, plan=revised(view, mde=0.05), reason=" "
        )
    assert no_reason.value.field == "reason"
    assert _written() == before

    new = services.revise_plan(
        actor=o.actor("cat"),
        key=view.key,
        version=view.version,
        plan=revised(view, planned_sample_size=30000, guardrails=()),
        reason="The latency guardrail's data is not collected on this service.",
    )
    assert (new.plan_number, new.plan.planned_sample_size, new.plan.guardrails) == (2, 30000, ())
    first, second = services.list_plan_versions(actor=o.actor("eve"), key=view.key).items
    assert (first.number, first.after_start, first.plan) == (1, False, view.plan)
    assert (second.number, second.after_start, second.changed) == (2, True, ("guardrails", "planned_sample_size"))
    assert second.reason.startswith("The latency") and second.created_by_name == "Cat Moss"
    assert services.get_plan_version(actor=SYSTEM, key=view.key, number=1).plan == view.plan
    with pytest.raises(Conflict):
        services.revise_plan(
            actor=o.actor("cat"), key=view.key, version=view.version, plan=revised(view, mde=0.03), reason="again"
        )


def test_a_draft_revision_is_refused_and_a_draft_with_a_bad_plan_cannot_start(small_org):
    o = small_org
    view = experiment(o)
    with pytest.raises(RuleViolation) as draft:
        services.revise_plan(actor=o.actor("bob"), key=view.key, version=view.version, plan=view.plan, reason="x")
    assert draft.value.field == "state"
    with pytest.raises(PermissionDenied):
        move(o, view, "start", by="eve")
    assert services.get_experiment(actor=SYSTEM, key=view.key).state is ExperimentState.DRAFT


def test_a_stop_before_the_planned_size_is_early_and_the_team_and_owner_hear_of_moves(small_org):
    o = small_org
    view = started(o, owner="cat", by="bob")
    assert services.experiment_moves(actor=o.actor("bob"), key=view.key) == ("stop",)
    assert services.experiment_moves(actor=o.actor("eve"), key=view.key) == ()
    stopped = move(o, view, "stop", by="bob", reason="a bug in variation B")
    assert stopped.state is ExperimentState.STOPPED and stopped.stopped_early and stopped.stop_reason
    facts = services.plan_facts(actor=SYSTEM, key=view.key)
    assert "the experiment stopped early" in facts.standing_review_reasons
    with pytest.raises(RuleViolation) as unanalysed:
        move(o, stopped, "decide", by="cat", decision="keep_control", rationale="bug")
    assert unanalysed.value.field == "analysis"
    inbox = notifications_services.list_inbox(actor=o.actor("cat")).items
    assert [i.title for i in inbox][:2] == [
        "Experiment stopped: One click checkout",
        "Experiment started: One click checkout",
    ]
    assert not any("Experiment" in i.title for i in notifications_services.list_inbox(actor=o.actor("bob")).items)
    verbs = [
        c.verb for c in audit_services.list_changes(actor=SYSTEM, subject_type="experiment", subject_id=view.id).items
    ]
    assert verbs == ["stop", "start", "define"]


def test_a_draft_is_cancelled_with_a_reason(small_org):
    o = small_org
    view = experiment(o)
    with pytest.raises(RuleViolation) as no_reason:
        move(o, view, "cancel", reason="")
    assert no_reason.value.field == "reason"
    assert move(o, view, "cancel", reason="the page is being replaced").state is ExperimentState.CANCELLED


def test_list_filters_by_state_team_metric_and_text(small_org):
    o = small_org
    a = started(o, "alpha-test")
    b = experiment(o, "beta-test", team="payments", owner="dan", by="dan", service="payments-api")
    everyone = o.actor("gus")
    keys = lambda **kw: [e.key for e in services.list_experiments(actor=everyone, **kw).items]  # noqa: E731
    assert keys() == ["beta-test", "alpha-test"]
    assert keys(state="running") == ["alpha-test"]
    assert keys(team_id=o.teams["payments"].id) == ["beta-test"]
    assert keys(service_id=o.services["checkout-api"].id) == ["alpha-test"]
    assert keys(metric=PRIMARY) == ["beta-test", "alpha-test"] and keys(metric=OUTPUT) == []
    assert keys(text="BETA") == ["beta-test"]
    assert services.list_experiments(actor=everyone, limit=1).next_offset == 1
    with pytest.raises(RuleViolation) as bad:
        keys(state="sleeping")
    assert bad.value.field == "state"
    assert a.key != b.key

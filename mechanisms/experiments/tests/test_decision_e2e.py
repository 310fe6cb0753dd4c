"""The launch decision on real analyses: a decision with the recommendation and no standing reason is taken
directly; one against the recommendation is refused naming the reason, then goes through ask_review -> the bar
raiser recommends -> the owner overrides -> decided, and the override is listed for management; an early stop and
a high-impact experiment force the review; the API and CLI doors for analyse and decide; the authorization matrix
(team, owner, other, anonymous) for both."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from typer.testing import CliRunner

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import SubjectKind
from mechanisms.experiments import services
from mechanisms.experiments.cli import experiments as experiments_cli
from mechanisms.experiments.contracts import Decision, ExperimentState
from mechanisms.experiments.models import Snapshot as SnapshotRow
from mechanisms.kernel.errors import PermissionDenied, RuleViolation
from mechanisms.kernel.testing import Door, api_door, check_matrix, cli_door, error_of, field_of, outcome_of_status
from mechanisms.notifications import services as notifications_services

from . import analysis_data, helpers

pytestmark = pytest.mark.django_db

KEY = "one-click-checkout"


def current(key: str = KEY):
    return services.get_experiment(actor=helpers.SYSTEM, key=key)


def decide(o, decision, variation=None, *, by="bob", key=KEY):
    return services.decide(
        actor=o.actor(by),
        key=key,
        version=current(key).version,
        decision=decision,
        variation=variation,
        rationale="Read against the final analysis.",
    )


def ask_review(o, decision, variation=None, *, key=KEY):
    return services.ask_review(
        actor=o.actor("bob"),
        key=key,
        version=current(key).version,
        decision=decision,
        variation=variation,
        rationale="The lift is real but the launch is risky.",
    )


def review(o, key: str = KEY):
    return bar_raisers_services.review_for(
        actor=o.actor("hal"), subject_kind=SubjectKind.EXPERIMENT, subject_id=current(key).id
    )


def test_a_decision_with_the_recommendation_and_no_standing_reason_is_taken_and_told(small_org):
    analysis_data.world(small_org, units=1200, planned_sample_size=1200)
    analysis_data.stop(small_org, by="cat")
    facts = services.plan_facts(actor=small_org.actor("eve"), key=KEY)
    assert facts.has_final_analysis and (facts.recommended, facts.recommended_variation) == ("ship", "b")
    assert facts.standing_review_reasons == ()
    done = decide(small_org, Decision.SHIP, "b")
    assert done.state is ExperimentState.DECIDED and (done.decision, done.decision_variation) == (Decision.SHIP, "b")
    assert done.review_reasons == ()
    titles = [i.title for i in notifications_services.list_inbox(actor=small_org.actor("ann")).items]
    assert any("decided" in t and "One click checkout" in t for t in titles)


def test_against_the_recommendation_is_refused_then_reviewed_overridden_decided_and_listed(small_org):
    analysis_data.world(small_org, units=1200, planned_sample_size=1200)
    analysis_data.stop(small_org)
    assert services.recommendation(actor=small_org.actor("eve"), key=KEY).decision is Decision.SHIP
    version = current().version
    with pytest.raises(RuleViolation) as refused:
        decide(small_org, Decision.KEEP_CONTROL)
    assert refused.value.field == "decision"
    assert "goes against the engine's recommendation" in refused.value.message
    assert current().version == version and current().state is ExperimentState.STOPPED  # nothing changed
    with pytest.raises(PermissionDenied):  # the owner alone asks
        services.ask_review(
            actor=small_org.actor("cat"), key=KEY, version=version, decision="keep_control", rationale="x"
        )
    asked = ask_review(small_org, Decision.KEEP_CONTROL)
    assert asked.state is ExperimentState.IN_REVIEW
    assert asked.review_reasons == ("the decision goes against the engine's recommendation",)
    pending = review(small_org)
    assert pending.owner_id == small_org.people["bob"].id and "keep the control" in pending.question
    recommended = bar_raisers_services.recommend(
        actor=small_org.actor("hal"),
        review_id=pending.id,
        version=pending.version,
        recommendation="do_not_proceed",
        reasoning="The numbers say ship b; keeping the control throws away a clear win.",
    )
    assert current().state is ExperimentState.IN_REVIEW  # the owner answers next
    bar_raisers_services.override_review(
        actor=small_org.actor("bob"), review_id=recommended.id, version=recommended.version, rationale="Ops risk."
    )
    done = current()
    assert done.state is ExperimentState.DECIDED and done.decision is Decision.KEEP_CONTROL
    overrides = bar_raisers_services.list_overrides(actor=small_org.actor("vp-retail")).items  # bob's chain
    assert [(r.subject_kind, r.subject_id) for r in overrides] == [(SubjectKind.EXPERIMENT, done.id)]
    assert bar_raisers_services.list_overrides(actor=small_org.actor("eve")).total == 0


def test_a_do_not_proceed_accepted_reopens_the_decision(small_org):
    analysis_data.world(small_org, units=600, planned_sample_size=600)
    analysis_data.stop(small_org)
    ask_review(small_org, Decision.ITERATE)
    pending = review(small_org)
    pending = bar_raisers_services.recommend(
        actor=small_org.actor("hal"),
        review_id=pending.id,
        version=pending.version,
        recommendation="do_not_proceed",
        reasoning="Decide with the data.",
    )
    bar_raisers_services.accept_review(actor=small_org.actor("bob"), review_id=pending.id, version=pending.version)
    reopened = current()
    assert reopened.state is ExperimentState.STOPPED and reopened.decision is None


def test_an_early_stop_forces_the_review_and_an_approval_accepted_decides(small_org):
    analysis_data.world(small_org, units=1200, planned_sample_size=5000)
    analysis_data.stop(small_org)
    assert current().stopped_early
    with pytest.raises(RuleViolation) as refused:
        decide(small_org, Decision.SHIP, "b")  # what the engine recommends, but stopped early
    assert refused.value.field == "decision" and "stopped early" in refused.value.message
    ask_review(small_org, Decision.SHIP, "b")
    pending = review(small_org)
    pending = bar_raisers_services.recommend(
        actor=small_org.actor("hal"),
        review_id=pending.id,
        version=pending.version,
        recommendation="approve",
        reasoning="The interval is clear of zero.",
    )
    bar_raisers_services.accept_review(actor=small_org.actor("bob"), review_id=pending.id, version=pending.version)
    done = current()
    assert done.state is ExperimentState.DECIDED and done.decision_variation == "b"
    assert done.review_reasons == ("the experiment stopped early",)


def test_a_high_impact_experiment_forces_the_review(small_org):
    analysis_data.world(small_org, units=600, planned_sample_size=600, high_impact=True)
    analysis_data.stop(small_org)
    with pytest.raises(RuleViolation) as refused:
        decide(small_org, Decision.SHIP, "b")
    assert "the experiment is high impact" in refused.value.message
    assert ask_review(small_org, Decision.SHIP, "b").review_reasons[0] == "the experiment is high impact"


# ------------------------------------------------------------------------------------------------ doors


def _send(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_the_api_analyses_lists_verifies_and_decides_and_refuses_naming_the_field(small_org, as_):
    analysis_data.world(small_org, units=600, planned_sample_size=600)
    url = f"/api/v1/experiments/{KEY}"
    made = _send(as_("cat"), f"{url}/analyses", {})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["number"] == 1 and body["recommendation"]["decision"] == "ship" and len(body["result_hash"]) == 64
    assert f"'{KEY}'" in body["queries"][helpers.PRIMARY]
    bad = _send(as_("cat"), f"{url}/analyses", {"final": True})
    assert bad.status_code in (400, 422) and field_of(bad) == "final"
    listed = as_("eve").get(f"{url}/analyses").json()
    assert listed["total"] == 1 and listed["items"][0]["number"] == 1
    assert as_("eve").get(f"{url}/analyses/1/verification").json()["ok"] is True
    assert as_("eve").get(f"{url}/analyses/9").status_code == 404
    assert as_("eve").get(f"{url}/series").status_code == 200
    assert _send(as_("bob"), f"{url}/stop", {"version": current().version, "reason": "done"}).status_code == 200
    against = _send(
        as_("bob"), f"{url}/decide", {"version": current().version, "decision": "iterate", "rationale": "More."}
    )
    assert against.status_code in (400, 422) and field_of(against) == "decision"
    assert "bar-raiser review" in error_of(against)["message"]
    asked = _send(
        as_("bob"), f"{url}/ask-review", {"version": current().version, "decision": "iterate", "rationale": "More."}
    )
    assert asked.status_code == 200 and asked.json()["state"] == "in_review"


def test_the_cli_analyses_lists_and_verifies_and_a_refusal_names_the_field(small_org):
    analysis_data.world(small_org, units=300)
    runner = CliRunner()
    made = runner.invoke(experiments_cli, ["analyse", KEY, "--as", "cat", "--format", "json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["number"] == 1
    text = runner.invoke(experiments_cli, ["snapshots", KEY, "--as", "eve"])
    assert text.exit_code == 0 and KEY in text.output
    verified = runner.invoke(experiments_cli, ["verify", KEY, "1", "--as", "eve"])
    assert verified.exit_code == 0 and "verified" in verified.output
    refused = runner.invoke(experiments_cli, ["analyse", KEY, "--final", "--as", "cat"])
    assert refused.exit_code == 2 and "(final)" in refused.output
    bad_time = runner.invoke(experiments_cli, ["analyse", KEY, "--through", "yesterday"])
    assert bad_time.exit_code == 2 and "through" in bad_time.output


def _snapshots(record) -> int:
    return SnapshotRow.objects.filter(experiment_id=record.id).count()


def test_who_analyses_through_the_api_and_the_cli(small_org, as_):
    analysis_data.world(small_org, units=200)
    record = current()
    check_matrix(
        """
                  running
        anonymous 401
        other     403
        owner     allowed
        team      allowed
        """,
        doors=[
            api_door(
                lambda r: f"/api/v1/experiments/{r.key}/analyses", client_for=as_, method="post", body=lambda r: {}
            )
        ],
        records={"running": record},
        roles={"other": "eve", "owner": "bob", "team": "cat"},
        unchanged=_snapshots,
    )
    check_matrix(
        """
              running
        other 403
        team  allowed
        """,
        doors=[cli_door(experiments_cli, lambda r: ["analyse", r.key])],
        records={"running": record},
        roles={"other": "eve", "team": "ann"},
        unchanged=_snapshots,
    )
    assert _snapshots(record) == 3  # the owner and cat by the API, ann by the CLI


def _decide_door(as_) -> Door:
    def probe(handle, record):
        client = as_(handle) if handle else Client()
        body = {"version": current(record.key).version, "decision": "ship", "variation": "b", "rationale": "B wins."}
        return outcome_of_status(_send(client, f"/api/v1/experiments/{record.key}/decide", body).status_code)

    return Door("api decide", probe, prepare=lambda handle: as_(handle) if handle else None)


def test_who_decides_only_the_owner(small_org, as_):
    analysis_data.world(small_org, units=600, planned_sample_size=600)
    analysis_data.stop(small_org)
    check_matrix(
        """
                  stopped
        anonymous 401
        other     403
        team      403
        owner     allowed
        """,
        doors=[_decide_door(as_)],
        records={"stopped": current()},
        roles={"other": "eve", "team": "ann", "owner": "bob"},
        unchanged=lambda r: current(r.key).version,
    )
    assert current().state is ExperimentState.DECIDED

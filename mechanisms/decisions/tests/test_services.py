"""The decision services (MECHANISMS.md §7, §4): stances signed by their participants only, the machine's guards,
the revisit deadline, the outcome review and the track record. Data through public services only."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.decisions import services as decisions
from mechanisms.decisions.contracts import DecisionChanges, OptionInput, Outcome, Stance, Status
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.notifications import services as notifications_services

pytestmark = pytest.mark.django_db

OPTIONS = (OptionInput("PostgreSQL", "* Good, because we run it"), OptionInput("DynamoDB", "* Bad, because new"))


def _decision(o, owner="ann", participants=("bob", "cat"), **kw):
    values = {"question": "Which database for orders?", "context": "Orders outgrow SQLite.", "options": OPTIONS}
    values.update(kw)
    return decisions.create_decision(
        actor=o.actor(owner), participant_ids=[o.people[p].id for p in participants], **values
    )


def _decide(o, d, owner="ann", chosen=1):
    return decisions.decide_decision(
        actor=o.actor(owner), decision_id=d.id, version=d.version, chosen_option=chosen, decision="Use PostgreSQL."
    )


def _inbox_titles(o, handle):
    return [i.title for i in notifications_services.list_inbox(actor=o.actor(handle)).items]


# ---------------------------------------------------------------------------------------------- stances


def test_participants_are_asked_to_sign_with_the_title_and_link(small_org):
    _decision(small_org)
    assert "Sign your stance: Which database for orders?" in _inbox_titles(small_org, "bob")
    assert not any("Sign your stance" in t for t in _inbox_titles(small_org, "ann"))  # the owner is no participant


@pytest.mark.parametrize("signer", ["ann", "admin", "dan"])
def test_only_the_participant_signs_their_own_stance(small_org, signer):
    d = _decision(small_org)
    with pytest.raises(PermissionDenied, match="only a participant signs their own stance"):
        decisions.sign_stance(actor=small_org.actor(signer), decision_id=d.id, stance=Stance.AGREE)
    assert all(
        p.stance is None for p in decisions.get_decision(actor=small_org.actor("ann"), decision_id=d.id).participants
    )


def test_disagree_and_commit_requires_the_new_information_the_dissent_brings(small_org):
    d = _decision(small_org)
    with pytest.raises(RuleViolation) as refused:
        decisions.sign_stance(actor=small_org.actor("bob"), decision_id=d.id, stance="disagree_and_commit")
    assert refused.value.field == "new_information"
    signed = decisions.sign_stance(
        actor=small_org.actor("bob"),
        decision_id=d.id,
        stance="disagree_and_commit",
        new_information="Our on-call knows DynamoDB better than we think.",
    )
    bob = next(p for p in signed.participants if p.person_id == small_org.people["bob"].id)
    assert bob.stance is Stance.DISAGREE_AND_COMMIT
    assert bob.new_information.startswith("Our on-call")
    assert "bob disagrees and commits: Which database for orders?" in _inbox_titles(small_org, "ann")


def test_an_unknown_stance_is_refused_naming_the_field(small_org):
    d = _decision(small_org)
    with pytest.raises(RuleViolation) as refused:
        decisions.sign_stance(actor=small_org.actor("bob"), decision_id=d.id, stance="maybe")
    assert refused.value.field == "stance"


def test_re_signing_replaces_the_stance_and_the_history_keeps_every_signature(small_org):
    d = _decision(small_org)
    bob = small_org.actor("bob")
    decisions.sign_stance(actor=bob, decision_id=d.id, stance="still_disagree")
    after = decisions.sign_stance(actor=bob, decision_id=d.id, stance="agree")
    assert [p.stance for p in after.participants if p.person_id == bob.person_id] == [Stance.AGREE]
    history = audit_services.list_changes(actor=bob, subject_type="decision", subject_id=d.id).items
    signed = [c.after["stance"] for c in history if c.verb == "sign_stance"]
    assert sorted(signed) == ["agree", "still_disagree"]


# ---------------------------------------------------------------------------------------------- the machine


def test_only_the_owner_decides(small_org):
    d = _decision(small_org)
    for handle in ("bob", "admin"):
        with pytest.raises(PermissionDenied, match="only the decision's owner"):
            _decide(small_org, d, owner=handle)
    decided = _decide(small_org, d)
    assert decided.status is Status.ACCEPTED
    assert decided.chosen.title == "PostgreSQL"
    assert decided.decided_on == clock.today()


def test_deciding_names_one_of_the_considered_options(small_org):
    d = _decision(small_org)
    with pytest.raises(RuleViolation) as refused:
        _decide(small_org, d, chosen=3)
    assert refused.value.field == "chosen_option"
    assert decisions.get_decision(actor=small_org.actor("ann"), decision_id=d.id).status is Status.PROPOSED


def test_deciding_requires_the_decision_text(small_org):
    d = _decision(small_org)
    with pytest.raises(RuleViolation) as refused:
        decisions.decide_decision(
            actor=small_org.actor("ann"), decision_id=d.id, version=d.version, chosen_option=1, decision=" "
        )
    assert refused.value.field == "decision"


def test_a_stale_version_is_a_conflict_and_changes_nothing(small_org):
    d = _decision(small_org)
    decisions.update_decision(
        actor=small_org.actor("ann"), decision_id=d.id, version=d.version, changes=DecisionChanges(context="More.")
    )
    with pytest.raises(Conflict):
        _decide(small_org, d)
    with pytest.raises(Conflict):
        decisions.update_decision(
            actor=small_org.actor("ann"), decision_id=d.id, version=d.version, changes=DecisionChanges(context="x")
        )
    assert decisions.get_decision(actor=small_org.actor("ann"), decision_id=d.id).context == "More."


def test_high_impact_requires_a_reviewed_category(small_org):
    with pytest.raises(RuleViolation) as refused:
        _decision(small_org, high_impact=True, category="process")
    assert refused.value.field == "category"
    assert decisions.list_decisions(actor=small_org.actor("ann")).total == 0


def test_a_high_impact_decision_is_decided_only_after_its_review_is_accepted(small_org):
    d = _decision(small_org, high_impact=True, category="architecture")
    view = decisions.decision_view(actor=small_org.actor("ann"), decision_id=d.id)
    assert view.review_state == "requested" and "decide" not in view.actions
    assert "bar-raiser review accepted or overridden first (it is requested)" in view.held
    assert decisions.decision_view(actor=small_org.actor("bob"), decision_id=d.id).held == ""  # the owner's to know
    with pytest.raises(RuleViolation, match="bar-raiser review accepted or overridden") as refused:
        _decide(small_org, d)
    assert refused.value.field == "high_impact"
    hal = small_org.actor("hal")
    review = bar_raisers_services.review_for(actor=hal, subject_kind="architecture", subject_id=d.id)
    review = bar_raisers_services.recommend(
        actor=hal, review_id=review.id, version=review.version, recommendation="approve", reasoning="Sound."
    )
    bar_raisers_services.accept_review(actor=small_org.actor("ann"), review_id=review.id, version=review.version)
    assert "decide" in decisions.decision_view(actor=small_org.actor("ann"), decision_id=d.id).actions
    assert _decide(small_org, d).status is Status.ACCEPTED


def test_a_withdrawn_review_is_asked_for_again_and_only_then_the_decision_can_be_decided(small_org):
    d = _decision(small_org, high_impact=True, category="architecture")
    ann, hal = small_org.actor("ann"), small_org.actor("hal")
    with pytest.raises(RuleViolation) as open_review:
        decisions.request_decision_review(actor=ann, decision_id=d.id, version=d.version)
    assert open_review.value.field == "review"
    review = bar_raisers_services.review_for(actor=ann, subject_kind="architecture", subject_id=d.id)
    bar_raisers_services.withdraw_review(actor=ann, review_id=review.id, version=review.version, reason="rescoped")
    with pytest.raises(PermissionDenied):
        decisions.request_decision_review(actor=small_org.actor("bob"), decision_id=d.id, version=d.version)
    d = decisions.request_decision_review(actor=ann, decision_id=d.id, version=d.version)
    again = bar_raisers_services.review_for(actor=hal, subject_kind="architecture", subject_id=d.id)
    assert again.id != review.id and again.state.value == "requested"
    again = bar_raisers_services.recommend(
        actor=hal, review_id=again.id, version=again.version, recommendation="approve", reasoning="Sound."
    )
    bar_raisers_services.accept_review(actor=ann, review_id=again.id, version=again.version)
    assert _decide(small_org, d).status is Status.ACCEPTED


def test_supersede_names_the_newer_decision(small_org):
    old = _decide(small_org, _decision(small_org))
    newer = _decision(small_org, question="Which database for orders, again?")
    with pytest.raises(RuleViolation) as refused:
        decisions.supersede_decision(
            actor=small_org.actor("ann"), decision_id=old.id, version=old.version, by_number=99
        )
    assert refused.value.field == "by_number"
    done = decisions.supersede_decision(
        actor=small_org.actor("ann"), decision_id=old.id, version=old.version, by_number=newer.number
    )
    assert done.status is Status.SUPERSEDED and done.superseded_by_id == newer.id
    assert decisions.decision_view(actor=small_org.actor("eve"), decision_id=newer.id).supersedes == (old.number,)
    with pytest.raises(RuleViolation, match="can no longer change"):
        decisions.update_decision(
            actor=small_org.actor("ann"), decision_id=old.id, version=done.version, changes=DecisionChanges(context="x")
        )


def test_only_the_owner_or_an_admin_edits(small_org):
    d = _decision(small_org)
    with pytest.raises(PermissionDenied):
        decisions.update_decision(
            actor=small_org.actor("bob"), decision_id=d.id, version=d.version, changes=DecisionChanges(context="x")
        )
    edited = decisions.update_decision(
        actor=small_org.actor("admin"), decision_id=d.id, version=d.version, changes=DecisionChanges(door="one_way")
    )
    assert edited.door.value == "one_way" and edited.version == d.version + 1


def test_anonymous_callers_read_nothing(small_org):
    d = _decision(small_org)
    with pytest.raises(PermissionDenied):
        decisions.get_decision(actor=Actor.anonymous(), decision_id=d.id)
    with pytest.raises(NotFound):
        decisions.get_decision(actor=small_org.actor("dan"), decision_id=d.id + 100)


# ---------------------------------------------------------------------------------------------- revisit


def test_the_revisit_reminds_the_owner_until_the_outcome_is_recorded(small_org):
    today = clock.today()
    d = _decide(small_org, _decision(small_org, revisit_on=today - dt.timedelta(days=1)))
    system = Actor.system("test")
    report = notifications_services.run_deadlines(actor=system, subject_type="decision")
    assert report.reminded == 1
    assert any(t.startswith("Overdue: Revisit decision") for t in _inbox_titles(small_org, "ann"))
    decisions.record_outcome(actor=small_org.actor("ann"), decision_id=d.id, outcome="right", version=d.version)
    later = clock.now() + dt.timedelta(days=8)
    assert notifications_services.run_deadlines(actor=system, now=later, subject_type="decision").reminded == 0


def test_the_revisit_escalates_to_the_owners_manager(small_org):
    d = _decision(small_org, revisit_on=clock.today() - dt.timedelta(days=1))
    later = clock.now() + dt.timedelta(days=8)
    report = notifications_services.run_deadlines(actor=Actor.system("test"), now=later, subject_type="decision")
    assert report.escalated == 1
    assert any("Revisit decision" in t for t in _inbox_titles(small_org, "vp-retail"))
    assert d.revisit_on is not None


# ---------------------------------------------------------------------------------------------- outcome, track record


def test_the_outcome_follows_a_decision(small_org):
    d = _decision(small_org)
    with pytest.raises(RuleViolation) as refused:
        decisions.record_outcome(actor=small_org.actor("ann"), decision_id=d.id, outcome="right", version=d.version)
    assert refused.value.field == "status"


def test_the_owner_or_their_manager_records_the_outcome(small_org):
    d = _decide(small_org, _decision(small_org))
    for handle in ("bob", "dan", "admin"):
        with pytest.raises(PermissionDenied):
            decisions.record_outcome(
                actor=small_org.actor(handle), decision_id=d.id, outcome="right", version=d.version
            )
    with pytest.raises(RuleViolation) as refused:
        decisions.record_outcome(
            actor=small_org.actor("vp-retail"), decision_id=d.id, outcome="wrong", version=d.version
        )
    assert refused.value.field == "note"
    reviewed = decisions.record_outcome(
        actor=small_org.actor("vp-retail"), decision_id=d.id, outcome="wrong", note="Costs doubled.", version=d.version
    )
    assert reviewed.outcome is Outcome.WRONG and reviewed.outcome_by_id == small_org.people["vp-retail"].id


def test_the_track_record_shows_how_often_each_owner_was_right(small_org):
    outcomes = ["right", "right", "wrong", "too_early"]
    for i, outcome in enumerate(outcomes):
        d = _decide(small_org, _decision(small_org, question=f"Question {i}?"))
        decisions.record_outcome(
            actor=small_org.actor("ann"), decision_id=d.id, outcome=outcome, note="seen", version=d.version
        )
    _decision(small_org, owner="dan", participants=(), question="Undecided?")
    lines = decisions.track_record(actor=small_org.actor("eve"))
    assert len(lines) == 1  # dan decided nothing yet
    ann = lines[0]
    assert (ann.owner_id, ann.decided, ann.reviewed, ann.right, ann.wrong) == (small_org.people["ann"].id, 4, 3, 2, 1)
    assert ann.right_share == pytest.approx(0.667)


def test_the_log_filters_by_owner_status_and_words(small_org):
    _decide(small_org, _decision(small_org))
    _decision(small_org, owner="dan", participants=(), question="Ledger retention?")
    ann = small_org.actor("ann")
    assert decisions.list_decisions(actor=ann, status="accepted").total == 1
    assert (
        decisions.list_decisions(actor=ann, owner_id=small_org.people["dan"].id).items[0].question.startswith("Ledger")
    )
    assert decisions.list_decisions(actor=ann, text="retention").total == 1
    with pytest.raises(RuleViolation) as refused:
        decisions.list_decisions(actor=ann, status="maybe")
    assert refused.value.field == "status"


def test_high_impact_without_an_independent_bar_raiser_is_refused_and_writes_nothing(small_org):
    # hal, the only bar raiser, takes part in the decision, so no one independent is left to review it.
    with pytest.raises(RuleViolation) as refused:
        _decision(small_org, participants=("bob", "hal"), high_impact=True, category="design")
    assert refused.value.field == "bar_raiser_id"
    assert decisions.list_decisions(actor=small_org.actor("ann")).total == 0


def test_marking_a_decision_high_impact_requests_its_review(small_org):
    d = _decision(small_org, category="customer_experience")
    assert decisions.decision_view(actor=small_org.actor("ann"), decision_id=d.id).review_id is None
    decisions.update_decision(
        actor=small_org.actor("ann"), decision_id=d.id, version=d.version, changes=DecisionChanges(high_impact=True)
    )
    view = decisions.decision_view(actor=small_org.actor("ann"), decision_id=d.id)
    assert view.review_state == "requested" and "decide" not in view.actions
    hal_inbox = _inbox_titles(small_org, "hal")
    assert any("Bar-raiser review requested" in t for t in hal_inbox)
    current = decisions.get_decision(actor=small_org.actor("ann"), decision_id=d.id)
    for changes, field in (
        (DecisionChanges(high_impact=False), "high_impact"),
        (DecisionChanges(category="design"), "category"),
    ):
        with pytest.raises(RuleViolation) as refused:  # stepping around the review is refused
            decisions.update_decision(
                actor=small_org.actor("ann"), decision_id=d.id, version=current.version, changes=changes
            )
        assert refused.value.field == field


@pytest.mark.django_db(transaction=True)
def test_two_decisions_recorded_at_once_get_two_numbers_and_two_edits_at_once_one_409(small_org):
    from mechanisms.kernel.testing import at_the_same_time

    outcomes = at_the_same_time(
        lambda handle: _decision(small_org, owner=handle, participants=(), question=f"Asked by {handle}?"),
        handles=("ann", "dan"),
    )
    assert outcomes == {"ann": "ok", "dan": "ok"}
    made = decisions.list_decisions(actor=small_org.actor("eve")).items
    assert sorted(d.number for d in made) == [1, 2]
    d = next(d for d in made if d.owner_id == small_org.people["ann"].id)
    outcomes = at_the_same_time(
        lambda handle: decisions.update_decision(
            actor=small_org.actor(handle), decision_id=d.id, version=d.version, changes=DecisionChanges(context=handle)
        ),
        handles=("ann", "admin"),
    )
    assert sorted(outcomes.values()) == ["conflict", "ok"], outcomes

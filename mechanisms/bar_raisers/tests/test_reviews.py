"""Bar-raiser reviews of any subject (MECHANISMS.md §4): the registry, the review machine's every transition and
refusal, the owning app's hold and hook, deadlines, override notices, override rates, history."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as br
from mechanisms.bar_raisers.contracts import Subject, SubjectKind
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.notifications import services as notifications

from .conftest import overridden, recommended

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def inbox(small_org, handle, kind=None):
    items = notifications.list_inbox(actor=small_org.actor(handle), limit=200).items
    return [i for i in items if kind is None or i.kind == kind]


def open_assignment(small_org, design_id=1):
    return br.current_assignment(actor=SYSTEM, subject_kind=SubjectKind.DESIGN, subject_id=design_id)


# ---------------------------------------------------------------------------------------------- request


def test_request_assigns_the_suggested_bar_raiser_and_tells_them_the_title_and_link_only(small_org, review):
    assert review.state.value == "requested" and review.bar_raiser_id == small_org.people["hal"].id
    assert review.owner_id == small_org.people["bob"].id and review.team_id == small_org.teams["checkout"].id
    assert open_assignment(small_org).person_id == small_org.people["hal"].id
    [notice] = inbox(small_org, "hal", "bar_raiser_review.requested")
    assert notice.title == "Bar-raiser review requested: Design 1: checkout retries"
    assert notice.url == f"/bar-raisers/reviews/{review.id}" and "retries safe" not in notice.body


def test_a_kind_nobody_registered_is_refused(small_org):
    subject = Subject(kind=SubjectKind.CORRECTION, id=1, title="A correction", owner_id=small_org.people["bob"].id)
    with pytest.raises(RuleViolation) as error:
        br.request_review(actor=small_org.actor("bob"), subject=subject)
    assert error.value.field == "subject_kind"


def test_a_subject_the_requester_may_not_see_is_not_found(small_org, design):
    with pytest.raises(NotFound):
        br.request_review(actor=small_org.actor("gus"), subject=design.subject(1))


def test_one_open_review_per_subject(small_org, design, review):
    with pytest.raises(RuleViolation) as error:
        br.request_review(actor=small_org.actor("bob"), subject=design.subject(1))
    assert error.value.field == "subject"


def test_a_bar_raiser_who_is_not_independent_is_refused_naming_the_field(small_org, design):
    with pytest.raises(RuleViolation) as error:
        br.request_review(
            actor=small_org.actor("bob"),
            subject=design.subject(1),
            bar_raiser_id=small_org.people["ann"].id,
            reason="she knows it",
        )
    assert error.value.field == "bar_raiser_id"
    assert br.review_for(actor=SYSTEM, subject_kind="design", subject_id=1) is None


def test_a_due_date_in_the_past_is_refused(small_org, design):
    with pytest.raises(RuleViolation) as error:
        br.request_review(
            actor=small_org.actor("bob"), subject=design.subject(1), due_on=clock.today() - dt.timedelta(days=1)
        )
    assert error.value.field == "due_on"


# ---------------------------------------------------------------------------------------------- recommend


def test_the_bar_raiser_recommends_with_reasoning_and_the_owner_hears(small_org, review):
    done = recommended(small_org, review, "approve_with_concerns", "Fine if the retry budget is capped.")
    assert done.state.value == "recommended" and done.recommendation.value == "approve_with_concerns"
    assert done.reasoning == "Fine if the retry budget is capped." and done.recommended_at is not None
    [notice] = inbox(small_org, "bob", "bar_raiser_review.recommended")
    assert "capped" not in notice.title + notice.body


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"recommendation": "approve", "reasoning": "  "}, "reasoning"),
        ({"recommendation": "maybe", "reasoning": "why"}, "recommendation"),
        ({"reasoning": "why"}, "recommendation"),
    ],
)
def test_a_recommendation_needs_a_known_choice_and_written_reasoning(small_org, review, values, field):
    with pytest.raises(RuleViolation) as error:
        br.apply_review_transition(
            actor=small_org.actor("hal"), review_id=review.id, name="recommend", version=review.version, values=values
        )
    assert error.value.field == field
    assert br.get_review(actor=SYSTEM, review_id=review.id).version == review.version


@pytest.mark.parametrize("handle", ["bob", "ann", "admin"])
def test_only_the_assigned_bar_raiser_recommends(small_org, review, handle):
    with pytest.raises(PermissionDenied) as error:
        br.recommend(
            actor=small_org.actor(handle),
            review_id=review.id,
            version=review.version,
            recommendation="approve",
            reasoning="ok",
        )
    assert "only the assigned bar raiser may recommend" in error.value.message


def test_the_owning_app_holds_the_recommendation_until_its_moment(small_org, design, review):
    design.held[1] = "the recommendation waits until the debrief opens"
    view = br.review_view(actor=small_org.actor("hal"), review_id=review.id)
    assert "recommend" not in view.actions and view.held == design.held[1]
    with pytest.raises(RuleViolation) as error:
        recommended(small_org, review)
    assert error.value.message == design.held[1] and error.value.field == "recommendation"
    del design.held[1]
    assert recommended(small_org, review).state.value == "recommended"


def test_recommending_clears_the_deadline_the_bar_raiser_was_reminded_of(small_org, review):
    late = clock.now() + dt.timedelta(days=30)
    assert notifications.run_deadlines(actor=SYSTEM, now=late, subject_type=br.REVIEW_SUBJECT_TYPE).reminded == 1
    assert inbox(small_org, "hal", "bar_raiser_review.overdue")
    recommended(small_org, review)
    deadline = notifications.find_deadline(actor=SYSTEM, subject_type=br.REVIEW_SUBJECT_TYPE, subject_id=review.id)
    assert deadline.cleared_at is not None
    later = late + dt.timedelta(days=3)
    assert notifications.run_deadlines(actor=SYSTEM, now=later, subject_type=br.REVIEW_SUBJECT_TYPE).reminded == 0


# ---------------------------------------------------------------------------------------------- responses


def test_accept_releases_the_assignment_and_tells_the_owner_app(small_org, design, review):
    done = recommended(small_org, review, "approve", "Sound.")
    accepted = br.accept_review(actor=small_org.actor("bob"), review_id=done.id, version=done.version, note="Thanks")
    assert accepted.state.value == "accepted" and accepted.response.value == "accepted"
    assert open_assignment(small_org) is None
    assert design.responses == [("bob", "accepted")]
    assert inbox(small_org, "hal", "bar_raiser_review.accepted")


@pytest.mark.parametrize("name", ["accept", "override", "withdraw"])
def test_only_the_owner_responds(small_org, review, name):
    done = recommended(small_org, review)
    values = {"override": {"rationale": "x"}, "withdraw": {"reason": "x"}}.get(name, {})
    for handle in ("hal", "ann", "cat"):
        with pytest.raises(PermissionDenied) as error:
            br.apply_review_transition(
                actor=small_org.actor(handle), review_id=done.id, name=name, version=done.version, values=values
            )
        assert "only the subject's owner may" in error.value.message


def test_an_override_needs_a_rationale(small_org, review):
    done = recommended(small_org, review)
    with pytest.raises(RuleViolation) as error:
        br.override_review(actor=small_org.actor("bob"), review_id=done.id, version=done.version, rationale=" ")
    assert error.value.field == "rationale"


def test_an_override_is_recorded_with_its_rationale_and_releases_the_assignment(small_org, design, review):
    done = overridden(small_org, review)
    assert done.state.value == "overridden" and done.response.value == "overridden"
    assert done.rationale == "We ship behind a flag and watch the ledger."
    assert open_assignment(small_org) is None and design.responses == [("bob", "overridden")]


def test_a_do_not_proceed_on_a_kind_that_is_not_overridable_stands(small_org, design, review):
    design.overridable = False
    design.register()
    done = recommended(small_org, review, "do_not_proceed")
    assert "override" not in br.review_view(actor=small_org.actor("bob"), review_id=done.id).actions
    with pytest.raises(RuleViolation) as error:
        br.override_review(actor=small_org.actor("bob"), review_id=done.id, version=done.version, rationale="no")
    assert "cannot be overridden" in error.value.message and error.value.field == "response"
    # ...but an approval of such a kind may still be gone against (a hiring manager's no-hire).
    other = br.request_review(actor=small_org.actor("bob"), subject=design.subject(2))
    approved = recommended(small_org, other, "approve")
    assert (
        br.override_review(
            actor=small_org.actor("bob"), review_id=approved.id, version=approved.version, rationale="No hire."
        ).state.value
        == "overridden"
    )


@pytest.mark.parametrize("recommend_first", [False, True])
def test_the_owner_withdraws_an_open_review_with_a_reason(small_org, design, review, recommend_first):
    current = recommended(small_org, review) if recommend_first else review
    with pytest.raises(RuleViolation) as error:
        br.withdraw_review(actor=small_org.actor("bob"), review_id=current.id, version=current.version, reason="")
    assert error.value.field == "reason"
    done = br.withdraw_review(
        actor=small_org.actor("bob"), review_id=current.id, version=current.version, reason="design dropped"
    )
    assert done.state.value == "withdrawn" and open_assignment(small_org) is None
    assert design.responses == [("bob", "withdrawn")]
    assert br.review_for(actor=SYSTEM, subject_kind="design", subject_id=1).id == done.id


def test_a_final_review_takes_no_more_moves_naming_the_state(small_org, review):
    done = overridden(small_org, review)
    with pytest.raises(RuleViolation) as error:
        br.accept_review(actor=small_org.actor("bob"), review_id=done.id, version=done.version)
    assert "that is overridden" in error.value.message


def test_a_stale_version_is_a_conflict_and_changes_nothing(small_org, review):
    done = recommended(small_org, review)
    before = audit_services.list_changes(actor=SYSTEM, subject_type=br.REVIEW_SUBJECT_TYPE, subject_id=review.id).total
    with pytest.raises(Conflict):
        br.accept_review(actor=small_org.actor("bob"), review_id=done.id, version=review.version)
    assert br.get_review(actor=SYSTEM, review_id=review.id).version == done.version
    assert (
        audit_services.list_changes(actor=SYSTEM, subject_type=br.REVIEW_SUBJECT_TYPE, subject_id=review.id).total
        == before
    )


def test_the_timeline_records_every_move(small_org, review):
    overridden(small_org, review)
    view = br.review_view(actor=small_org.actor("bob"), review_id=review.id)
    assert [(e.transition, e.from_state, e.to_state) for e in view.timeline] == [
        ("request", "", "requested"),
        ("recommend", "requested", "recommended"),
        ("override", "recommended", "overridden"),
    ]


# ---------------------------------------------------------------------------------------------- overrides


def test_override_notices_reach_the_whole_chain_above_the_owner_and_nobody_else(small_org, review):
    overridden(small_org, review)
    chain = {"ann", "vp-retail", "ceo"}  # bob's managers, nearest first
    for handle in small_org.people:
        notices = inbox(small_org, handle, "bar_raiser_review.overridden")
        assert bool(notices) == (handle in chain), handle
        for notice in notices:
            assert notice.title == "Override: Design 1: checkout retries"
            assert "do not proceed" in notice.body and "flag" not in notice.title + notice.body
            assert notice.url == f"/bar-raisers/reviews/{review.id}"


def test_override_rates_count_each_kind(small_org, design, review):
    overridden(small_org, review)
    other = br.request_review(actor=small_org.actor("bob"), subject=design.subject(2))
    recommended(small_org, other, "approve")
    br.request_review(actor=small_org.actor("bob"), subject=design.subject(3))
    [rate] = br.override_rates(actor=SYSTEM)
    assert (rate.kind, rate.requested, rate.recommended, rate.overridden, rate.vetoed) == (
        SubjectKind.DESIGN,
        3,
        2,
        1,
        1,
    )
    assert rate.override_rate == 0.5
    assert br.override_rates(actor=SYSTEM, since=clock.today() + dt.timedelta(days=1)) == []
    assert br.override_rates(actor=small_org.actor("gus")) == []  # nothing they may read


# ---------------------------------------------------------------------------------------------- history, lists


def test_the_review_history_keeps_field_names_only_for_those_who_may_read_the_review(small_org, review):
    overridden(small_org, review)
    changes = audit_services.list_changes(
        actor=small_org.actor("ann"), subject_type=br.REVIEW_SUBJECT_TYPE, subject_id=review.id
    ).items
    assert [c.verb for c in sorted(changes, key=lambda c: c.id)] == ["request", "recommend", "override"]
    text = repr([(c.before, c.after, c.reason, c.subject_label) for c in changes])
    assert "flag" not in text and "double-charge" not in text and "retries safe" not in text
    with pytest.raises(NotFound):
        audit_services.list_changes(
            actor=small_org.actor("gus"), subject_type=br.REVIEW_SUBJECT_TYPE, subject_id=review.id
        )


def test_lists_filter_by_bar_raiser_owner_state_and_kind(small_org, design, review):
    hal = small_org.people["hal"].id
    assert br.list_reviews(actor=SYSTEM, bar_raiser_id=hal, state="open").total == 1
    assert br.list_reviews(actor=SYSTEM, owner_id=small_org.people["ann"].id).total == 0
    assert br.list_reviews(actor=SYSTEM, kind="design", state="requested").total == 1
    assert br.list_reviews(actor=small_org.actor("gus")).total == 0
    for bad in ({"state": "nope"}, {"kind": "nope"}):
        with pytest.raises(RuleViolation) as error:
            br.list_reviews(actor=SYSTEM, **bad)
        assert error.value.field == next(iter(bad))


def test_the_queue_holds_my_reviews_awaiting_a_recommendation_and_my_open_assignments(small_org, review):
    queue = br.bar_raiser_queue(actor=small_org.actor("hal"))
    assert [r.id for r in queue.awaiting] == [review.id]
    [item] = queue.assignments
    assert (item.title, item.url) == ("Design 1: checkout retries", "/designs/1")
    recommended(small_org, review)
    assert br.bar_raiser_queue(actor=small_org.actor("hal")).awaiting == ()
    assert br.bar_raiser_queue(actor=small_org.actor("gus")).assignments == ()


def test_the_owning_app_puts_another_bar_raiser_on_a_review_waiting_for_its_recommendation(small_org, design, review):
    gus = small_org.people["gus"].id
    br.add_to_pool(actor=SYSTEM, person_id=gus, trained_on=dt.date(2024, 1, 1))
    with pytest.raises(RuleViolation) as error:  # ann manages bob, the owner
        br.reassign_review(
            actor=small_org.actor("bob"),
            subject=design.subject(1),
            bar_raiser_id=small_org.people["ann"].id,
            reason="she knows it",
        )
    assert error.value.field == "bar_raiser_id"
    moved = br.reassign_review(  # gus, with no open assignment, is now the first suggestion
        actor=small_org.actor("bob"), subject=design.subject(1), bar_raiser_id=gus, reason="hal is on leave"
    )
    assert moved.bar_raiser_id == gus and moved.version == review.version + 1
    assert open_assignment(small_org).person_id == gus
    assert inbox(small_org, "gus", "bar_raiser_review.requested")
    with pytest.raises(NotFound):
        recommended(small_org, moved)  # hal is no longer its bar raiser: the review is not his to read
    done = br.recommend(
        actor=small_org.actor("gus"),
        review_id=moved.id,
        version=moved.version,
        recommendation="approve",
        reasoning="Fine.",
    )
    assert done.state.value == "recommended"
    with pytest.raises(RuleViolation) as error:
        br.reassign_review(actor=small_org.actor("bob"), subject=design.subject(1), bar_raiser_id=None)
    assert error.value.field == "state"


def test_an_admin_account_sees_a_review_only_as_far_as_the_owning_app_lets_it(small_org, design, review):
    """A hiring loop's review is its insiders' (sealing.md): an admin outside it gets NotFound like anyone else,
    while the product itself (operator commands, the demo) reads every review."""
    overridden(small_org, review)
    admin = small_org.actor("admin")
    assert br.get_review(actor=admin, review_id=review.id).id == review.id
    design.admins = False
    with pytest.raises(NotFound):
        br.get_review(actor=admin, review_id=review.id)
    assert br.list_reviews(actor=admin).total == 0 and br.list_overrides(actor=admin).total == 0
    assert br.get_review(actor=SYSTEM, review_id=review.id).id == review.id
    assert br.list_overrides(actor=SYSTEM).total == 1
    assert br.list_overrides(actor=small_org.actor("ann")).total == 1  # the chain above the owner, always


def test_the_owning_app_may_let_someone_answer_for_the_owner(small_org, design, review):
    cat = small_org.actor("cat")
    with pytest.raises(PermissionDenied):
        br.withdraw_review(actor=cat, review_id=review.id, version=review.version, reason="the design is dropped")
    design.acting.add(small_org.people["cat"].id)
    done = br.withdraw_review(actor=cat, review_id=review.id, version=review.version, reason="the design is dropped")
    assert done.state.value == "withdrawn" and design.responses == [("cat", "withdrawn")]

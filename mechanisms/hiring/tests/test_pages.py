"""The loop pages as each person meets them: my interviews, the loop page, the feedback form and the debrief room.
Outsiders get the 404 page through every one of them; the loop's people read "sealed until the debrief" before it
opens and never a vote; forms are refused with the rule named and change nothing; each page's queries are bounded.

The world: an opening on checkout (hiring manager ann, recruiter rex), candidate Jo Quinn, a loop whose bar raiser
is hal (the pool's only member), interviews by eve (customer obsession, ownership) and gus (dive deep) that ended an
hour ago, started by rex. bob (on checkout, not a manager role: not a would-be report), dan (another manager), fay
and the admin are outsiders."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from mechanisms.hiring import services as hiring
from mechanisms.hiring.contracts import EvidenceInput, LoopState
from mechanisms.kernel import clock
from mechanisms.kernel.testing import page_text, signed_in

pytestmark = pytest.mark.django_db

OUTSIDERS = ("admin", "dan", "bob", "fay")
STAR = {"situation": "The launch was at risk.", "task": "Keep the date.", "action": "Cut scope.", "result": "Shipped."}


@pytest.fixture
def world(hiring_org, make_candidate):
    o = hiring_org
    candidate = make_candidate()
    loop = hiring.create_loop(actor=o.actor("rex"), candidate_id=candidate.id)
    ends = clock.now() - dt.timedelta(hours=1)
    interviews = {}
    for handle, principles in (("eve", ("customer-obsession", "ownership")), ("gus", ("dive-deep",))):
        interviews[handle] = hiring.add_interview(
            actor=o.actor("rex"),
            loop_id=loop.id,
            interviewer_id=o.people[handle].id,
            starts_at=ends - dt.timedelta(hours=1),
            ends_at=ends,
            principles=principles,
        )
    loop = hiring.get_loop(actor=o.actor("rex"), loop_id=loop.id)
    loop = hiring.start_loop(actor=o.actor("rex"), loop_id=loop.id, version=loop.version)
    o.loop, o.interviews, o.candidate = loop, interviews, candidate
    return o


def submit(o, handle: str, vote: str = "hire") -> None:
    interview = o.interviews[handle]
    hiring.submit_feedback(
        actor=o.actor(handle),
        interview_id=interview.id,
        vote=vote,
        summary=f"{handle}'s summary: specific and written down.",
        evidence=[EvidenceInput(principle=p, rating=3, **STAR) for p in interview.principles],
    )


def feedback_post(interview, *, submit: bool = False, vote: str = "hire", confirm: bool = True, **override) -> dict:
    data = {"summary": "Clear examples.", "vote": vote}
    for p in interview.principles:
        data.update({f"{p}-{part}": text for part, text in STAR.items()})
        data[f"{p}-rating"] = "3"
    data.update(override)
    data["submit" if submit else "save"] = "1"
    if submit and confirm:
        data["confirm"] = "on"
    return data


def urls(o) -> list[str]:
    return [
        f"/hiring/loops/{o.loop.id}",
        f"/hiring/loops/{o.loop.id}/debrief",
        f"/hiring/interviews/{o.interviews['eve'].id}/feedback",
    ]


# ---------------------------------------------------------------------------------------------- outsiders: 404


def test_every_loop_page_is_not_found_for_outsiders_admins_included(world):
    submit(world, "eve")
    for handle in OUTSIDERS:
        client = signed_in(handle)
        for url in urls(world):
            response = client.get(url)
            assert response.status_code == 404, (handle, url)
            assert "Jo Quinn" not in page_text(response) and "sealed" not in page_text(response).lower()


def test_outsiders_forms_on_a_loop_are_not_found_and_change_nothing(world):
    before = hiring.get_loop(actor=world.actor("rex"), loop_id=world.loop.id)
    client = signed_in("admin")
    loop = world.loop
    posts = [
        (f"/hiring/loops/{loop.id}/withdraw", {"withdraw-version": loop.version, "withdraw-reason": "no"}),
        (f"/hiring/loops/{loop.id}/interviews", {"new-interviewer": "bob"}),
        (f"/hiring/loops/{loop.id}/bar-raiser", {"bar_raiser": "hal", "version": loop.version}),
        (f"/hiring/loops/{loop.id}/votes", {"vote": "hire", "reason": "x"}),
        (f"/hiring/loops/{loop.id}/recommendation", {"recommendation": "approve", "reasoning": "x"}),
        (f"/hiring/interviews/{world.interviews['eve'].id}/feedback", feedback_post(world.interviews["eve"])),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    after = hiring.get_loop(actor=world.actor("rex"), loop_id=loop.id)
    assert after.version == before.version and after.state is LoopState.INTERVIEWING


def test_my_interviews_lists_only_the_viewers_own(world):
    assert "Loop #" not in page_text(signed_in("bob").get("/hiring/interviews"))
    text = page_text(signed_in("eve").get("/hiring/interviews"))
    assert f"Loop #{world.loop.id}" in text and "not started" in text


# ---------------------------------------------------------------------------------------------- sealed for insiders


@pytest.mark.parametrize("handle", ["ann", "rex", "hal", "gus"])
def test_an_interviewers_feedback_is_sealed_until_the_debrief_for_the_loops_people(world, handle):
    eve = world.interviews["eve"]
    signed_in("eve").post(f"/hiring/interviews/{eve.id}/feedback", feedback_post(eve, summary="Eve's secret notes"))
    response = signed_in(handle).get(f"/hiring/interviews/{eve.id}/feedback")
    assert response.status_code == 403
    text = page_text(response)
    assert "sealed until the debrief" in text.lower()
    assert "Eve's secret notes" not in text and "Cut scope" not in text


def test_the_debrief_room_before_it_opens_shows_who_submitted_and_never_a_vote(world):
    submit(world, "eve", vote="strong_no_hire")
    response = signed_in("ann").get(f"/hiring/loops/{world.loop.id}/debrief")
    assert response.status_code == 200
    text = page_text(response)
    assert "Sealed until the debrief" in text
    assert re.search(r"Eve Park .* submitted", text) and re.search(r"Gus Hale .* not submitted", text)
    assert "no hire" not in text.lower() and "summary" not in text.lower()
    assert f'action="/hiring/loops/{world.loop.id}/open-debrief"' not in response.content.decode()
    # The bar raiser may open it early, with a reason.
    hal = signed_in("hal").get(f"/hiring/loops/{world.loop.id}/debrief")
    assert f'action="/hiring/loops/{world.loop.id}/open-debrief"' in hal.content.decode()


def test_the_loop_page_shows_submission_times_but_no_vote_before_the_debrief(world):
    submit(world, "eve", vote="strong_no_hire")
    text = page_text(signed_in("hal").get(f"/hiring/loops/{world.loop.id}"))
    assert "Jo Quinn" in text and "submitted" in text and "1 of 2 submitted" in text
    assert "strong no hire" not in text.lower()


def test_an_interviewer_who_has_not_submitted_reads_no_one_elses_after_an_early_debrief(world):
    submit(world, "eve")
    loop = hiring.get_loop(actor=world.actor("hal"), loop_id=world.loop.id)
    hiring.open_debrief(actor=world.actor("hal"), loop_id=loop.id, version=loop.version, reason="gus is on leave")
    response = signed_in("gus").get(f"/hiring/interviews/{world.interviews['eve'].id}/feedback")
    assert response.status_code == 403 and "sealed until you submit yours" in page_text(response).lower()
    assert signed_in("ann").get(f"/hiring/interviews/{world.interviews['eve'].id}/feedback").status_code == 200


# ---------------------------------------------------------------------------------------------- the feedback form


def test_the_interviewer_saves_a_draft_then_submits_and_the_form_turns_read_only(world):
    eve = world.interviews["eve"]
    client = signed_in("eve")
    url = f"/hiring/interviews/{eve.id}/feedback"
    page = client.get(url).content.decode()
    assert page.count('name="vote"') == 4  # four choices, no neutral one
    assert page.count('name="ownership-rating"') == 4  # 1-4, no middle
    response = client.post(url, feedback_post(eve, summary="A first draft"))
    assert response.status_code == 302
    assert "A first draft" in client.get(url).content.decode()
    response = client.post(url, feedback_post(eve, submit=True))
    assert response.status_code == 302
    page = client.get(url)
    text = page_text(page)
    assert "submitted" in text and "can no longer be changed" in text and 'name="summary"' not in page.content.decode()
    again = client.post(url, feedback_post(eve, submit=True, summary="Changed my mind"))
    assert again.status_code == 400 and "feedback" in page_text(again).lower()
    assert hiring.get_feedback(actor=world.actor("eve"), interview_id=eve.id).summary == "Clear examples."


def test_submitting_needs_the_confirmation_box(world):
    eve = world.interviews["eve"]
    response = signed_in("eve").post(
        f"/hiring/interviews/{eve.id}/feedback", feedback_post(eve, submit=True, confirm=False)
    )
    assert response.status_code == 400 and "tick this box" in page_text(response).lower()
    assert not hiring.get_feedback(actor=world.actor("eve"), interview_id=eve.id).submitted


def test_a_submission_missing_a_star_part_is_refused_naming_it_and_changes_nothing(world):
    eve = world.interviews["eve"]
    data = feedback_post(eve, submit=True, **{"ownership-result": ""})
    response = signed_in("eve").post(f"/hiring/interviews/{eve.id}/feedback", data)
    assert response.status_code == 400
    assert "result" in page_text(response).lower()
    assert not hiring.get_feedback(actor=world.actor("eve"), interview_id=eve.id).submitted


# ---------------------------------------------------------------------------------------------- the loop page


def test_starting_a_loop_that_breaks_a_rule_is_refused_naming_the_rule(hiring_org, make_candidate):
    o = hiring_org
    loop = hiring.create_loop(actor=o.actor("rex"), candidate_id=make_candidate().id)
    client = signed_in("rex")
    page = client.get(f"/hiring/loops/{loop.id}")
    assert page.status_code == 200 and "coverage" in page_text(page)
    response = client.post(f"/hiring/loops/{loop.id}/start", {"start-version": loop.version})
    assert response.status_code == 400 and "coverage" in page_text(response)
    assert hiring.get_loop(actor=o.actor("rex"), loop_id=loop.id).state is LoopState.PLANNING


def test_planners_add_an_interview_on_the_page_and_a_refused_one_names_its_rule(hiring_org, make_candidate):
    o = hiring_org
    loop = hiring.create_loop(actor=o.actor("rex"), candidate_id=make_candidate().id)
    client = signed_in("ann")
    add = {
        "new-interviewer": "eve",
        "new-starts_at": "2031-05-01T10:00",
        "new-ends_at": "2031-05-01T11:00",
        "new-principles": ["customer-obsession", "ownership"],
    }
    assert client.post(f"/hiring/loops/{loop.id}/interviews", add).status_code == 302
    again = client.post(f"/hiring/loops/{loop.id}/interviews", {**add, "new-principles": ["dive-deep"]})
    assert again.status_code == 400  # eve interviews once
    assert "once" in page_text(again).lower() or "already" in page_text(again).lower()
    unknown = client.post(f"/hiring/loops/{loop.id}/interviews", {**add, "new-interviewer": "nobody"})
    assert unknown.status_code == 400 and "no person has the handle" in page_text(unknown).lower()
    assert len(hiring.get_loop(actor=o.actor("ann"), loop_id=loop.id).interviews) == 1
    # Interviewers and the bar raiser see the loop, but no planning forms.
    hal = signed_in("hal").get(f"/hiring/loops/{loop.id}").content.decode()
    assert f'action="/hiring/loops/{loop.id}/interviews"' not in hal


# ---------------------------------------------------------------------------------------------- the debrief room


def test_the_debrief_shows_every_written_vote_first_then_the_feedback_and_the_forms_for_their_people(world):
    submit(world, "eve", vote="hire")
    submit(world, "gus", vote="no_hire")  # the last one: the debrief opens by itself
    response = signed_in("ann").get(f"/hiring/loops/{world.loop.id}/debrief")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index('id="votes"') < body.index('id="feedback"') < body.index('id="changed-votes"')
    assert "eve's summary" in page_text(response) and "No hire" in page_text(response)
    assert 'id="recommend-form"' not in body and "Waiting for the bar raiser" in page_text(response)
    assert 'id="change-vote"' not in body  # ann did not interview
    hal = signed_in("hal").get(f"/hiring/loops/{world.loop.id}/debrief").content.decode()
    assert 'id="recommend-form"' in hal
    eve = signed_in("eve").get(f"/hiring/loops/{world.loop.id}/debrief").content.decode()
    assert 'id="change-vote"' in eve and 'id="recommend-form"' not in eve


def test_a_changed_vote_is_a_new_entry_with_its_reason(world):
    submit(world, "eve", vote="hire")
    submit(world, "gus", vote="no_hire")
    client = signed_in("gus")
    refused = client.post(f"/hiring/loops/{world.loop.id}/votes", {"vote": "hire", "reason": ""})
    assert refused.status_code == 400
    ok = client.post(f"/hiring/loops/{world.loop.id}/votes", {"vote": "hire", "reason": "Eve's example convinced me."})
    assert ok.status_code == 302
    text = page_text(client.get(f"/hiring/loops/{world.loop.id}/debrief"))
    assert "gus now votes Hire" in text and "Eve's example convinced me." in text
    assert (
        hiring.get_feedback(actor=world.actor("gus"), interview_id=world.interviews["gus"].id).vote.value == "no_hire"
    )


def test_a_hire_under_the_bar_raisers_veto_is_refused_naming_the_veto(world):
    submit(world, "eve")
    submit(world, "gus")
    loop_id = world.loop.id
    vetoed = signed_in("hal").post(
        f"/hiring/loops/{loop_id}/recommendation",
        {"recommendation": "do_not_proceed", "reasoning": "Took credit for the team's work."},
    )
    assert vetoed.status_code == 302
    client = signed_in("ann")
    page = client.get(f"/hiring/loops/{loop_id}/debrief")
    assert "veto" in page_text(page).lower() and 'id="veto-blocks"' in page.content.decode()
    loop = hiring.get_loop(actor=world.actor("ann"), loop_id=loop_id)
    data = {"from": "debrief", "decide-version": loop.version, "decide-decision": "hire", "decide-rationale": "We want"}
    refused = client.post(f"/hiring/loops/{loop_id}/decide", data)
    assert refused.status_code == 400 and "veto" in page_text(refused)
    assert hiring.get_loop(actor=world.actor("ann"), loop_id=loop_id).state is LoopState.DEBRIEF
    data["decide-decision"] = "no_hire"
    assert client.post(f"/hiring/loops/{loop_id}/decide", data).status_code == 302
    decided = page_text(client.get(f"/hiring/loops/{loop_id}/debrief"))
    assert "No hire" in decided and "We want" in decided


def test_only_the_hiring_manager_is_offered_the_decision(world):
    submit(world, "eve")
    submit(world, "gus")
    hiring.recommend_on_loop(
        actor=world.actor("hal"), loop_id=world.loop.id, recommendation="approve", reasoning="Raises the bar."
    )
    for handle, offered in (("ann", True), ("hal", False), ("rex", False), ("eve", False)):
        body = signed_in(handle).get(f"/hiring/loops/{world.loop.id}/debrief").content.decode()
        assert (f'action="/hiring/loops/{world.loop.id}/decide"' in body) is offered, handle


# ---------------------------------------------------------------------------------------------- home and queries


def test_the_home_page_tells_an_interviewer_whose_feedback_is_due(world):
    assert "Feedback due" in page_text(signed_in("eve").get("/"))
    submit(world, "eve")
    assert "Feedback due" not in page_text(signed_in("eve").get("/"))
    assert "Feedback due" not in page_text(signed_in("ann").get("/"))


def test_each_loop_page_answers_in_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    submit(world, "eve")
    pages = [
        ("eve", "/hiring/interviews"),
        ("eve", f"/hiring/interviews/{world.interviews['eve'].id}/feedback"),
        ("gus", f"/hiring/interviews/{world.interviews['gus'].id}/feedback"),
        ("rex", f"/hiring/loops/{world.loop.id}"),
        ("ann", f"/hiring/loops/{world.loop.id}/debrief"),
    ]
    clients = {handle: signed_in(handle) for handle in {h for h, _ in pages}}
    for handle, url in pages:
        clients[handle].get(url)  # warm the session and the caches once
        with django_assert_max_num_queries(25):
            assert clients[handle].get(url).status_code == 200, url
    submit(world, "gus")
    # The open room reads the loop's moves for the viewer and the whole debrief (votes, feedback, evidence, changed
    # votes, names): a few more, still fixed.
    with django_assert_max_num_queries(30):
        assert clients["ann"].get(f"/hiring/loops/{world.loop.id}/debrief").status_code == 200


def test_anonymous_callers_are_sent_to_sign_in(world):
    for url in urls(world):
        response = Client().get(url)
        assert response.status_code == 302 and "/signin" in response["Location"]


def test_a_planned_loops_page_costs_the_same_however_many_interviews_it_has(hiring_org, make_candidate):
    """Planning also checks the bar raiser's eligibility with the bar-raisers app (its pool, load and the org
    graph): a fixed cost on top of the loop page's, never one per interview."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    o = hiring_org
    loop = hiring.create_loop(actor=o.actor("rex"), candidate_id=make_candidate().id)
    client = signed_in("rex")
    counts = []
    for handle, principles in (("eve", ("ownership",)), ("gus", ("dive-deep",)), ("dan", ("customer-obsession",))):
        start = clock.now() + dt.timedelta(days=len(counts) + 1)
        hiring.add_interview(
            actor=o.actor("rex"),
            loop_id=loop.id,
            interviewer_id=o.people[handle].id,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            principles=principles,
        )
        client.get(f"/hiring/loops/{loop.id}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/hiring/loops/{loop.id}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[-1] and counts[0] <= 35, counts


def test_planners_move_and_cancel_an_interview_on_the_page(hiring_org, make_candidate):
    o = hiring_org
    loop = hiring.create_loop(actor=o.actor("rex"), candidate_id=make_candidate().id)
    start = clock.now() + dt.timedelta(days=3)
    interview = hiring.add_interview(
        actor=o.actor("rex"),
        loop_id=loop.id,
        interviewer_id=o.people["eve"].id,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        principles=("ownership",),
    )
    client = signed_in("ann")
    base = f"/hiring/loops/{loop.id}/interviews/{interview.id}"
    prefix = f"interview-{interview.id}"
    moved = {
        f"{prefix}-starts_at": "2031-06-01T09:00",
        f"{prefix}-ends_at": "2031-06-01T08:00",  # ends before it starts: refused naming the field
        f"{prefix}-principles": ["ownership", "dive-deep"],
        f"{prefix}-version": interview.version,
    }
    refused = client.post(f"{base}/edit", moved)
    assert refused.status_code == 400 and "end after it starts" in page_text(refused)
    moved[f"{prefix}-ends_at"] = "2031-06-01T10:00"
    assert client.post(f"{base}/edit", moved).status_code == 302
    changed = hiring.get_loop(actor=o.actor("ann"), loop_id=loop.id).interviews[0]
    assert changed.principles == ("ownership", "dive-deep") and changed.starts_at.year == 2031
    stale = client.post(f"{base}/cancel", {"version": interview.version})  # the version before the move
    assert (
        stale.status_code == 302 and not hiring.get_loop(actor=o.actor("ann"), loop_id=loop.id).interviews[0].cancelled
    )
    assert client.post(f"{base}/cancel", {"version": changed.version}).status_code == 302
    assert hiring.get_loop(actor=o.actor("ann"), loop_id=loop.id).interviews[0].cancelled


def test_a_bar_raiser_picked_by_hand_must_be_eligible_and_the_refusal_names_the_field(hiring_org, make_candidate):
    o = hiring_org
    loop = hiring.create_loop(actor=o.actor("rex"), candidate_id=make_candidate().id)
    client = signed_in("rex")
    page = client.get(f"/hiring/loops/{loop.id}/bar-raiser")
    assert page.status_code == 200 and "Hal Berg" in page_text(page)  # the pool's only independent member
    refused = client.post(
        f"/hiring/loops/{loop.id}/bar-raiser", {"bar_raiser": "fay", "reason": "knows us", "version": loop.version}
    )
    assert refused.status_code == 400 and 'id="id_bar_raiser_error"' in refused.content.decode()
    assert hiring.get_loop(actor=o.actor("rex"), loop_id=loop.id).bar_raiser_handle == "hal"
    # An interviewer of the loop sees it, but may not change its bar raiser: the rule is named.
    hiring.add_interview(
        actor=o.actor("rex"),
        loop_id=loop.id,
        interviewer_id=o.people["eve"].id,
        starts_at=clock.now() + dt.timedelta(days=1),
        ends_at=clock.now() + dt.timedelta(days=1, hours=1),
        principles=("ownership",),
    )
    forbidden = signed_in("eve").post(
        f"/hiring/loops/{loop.id}/bar-raiser", {"bar_raiser": "hal", "reason": "", "version": loop.version}
    )
    assert forbidden.status_code == 403 and "recruiters" in page_text(forbidden)

"""The demo's hiring: two openings with candidates in every state, a vetoed loop and an override, and a demo login
for each step of a loop (the interviewer whose feedback is due, the bar raiser of the loop in debrief, the hiring
manager who decides), all planted through the services."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import authenticate

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.hiring import services as hiring_services
from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services
from mechanisms.workflows.demo import DEMO_PASSWORD, load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    load_demo()


def actor(handle: str) -> Actor:
    return org_services.actor_for_handle(handle=handle)


def test_the_demo_has_two_openings_and_candidates_in_every_state(demo):
    recruiter = actor("amelia.brooks")
    openings = hiring_services.list_openings(actor=recruiter).items
    assert sorted(o.title for o in openings) == ["Engineering Manager, Search", "Senior Software Engineer, Payments"]
    assert any(o.manager_role for o in openings) and all(len(o.job_description) > 200 for o in openings)
    # The payments job description was revised once by its hiring manager: the demo shows revisions and a diff.
    assert sorted(o.job_description_revision for o in openings) == [1, 2]
    candidates = hiring_services.list_candidates(actor=recruiter, limit=50).items
    states = Counter(c.state.value for c in candidates)
    assert set(states) == {"applied", "in_loop", "offer", "hired", "rejected", "withdrawn"}
    loops = hiring_services.list_loops(actor=recruiter, limit=50).items
    loop_states = {loop.state.value for loop in loops}
    assert loop_states == {"planning", "interviewing", "debrief", "offer", "no_hire", "withdrawn"}
    assert sum(1 for loop in loops if loop.vetoed) == 1
    # Every loop has an independent bar raiser from the pool.
    pool = {m.person_id for m in bar_raisers_services.list_pool(actor=recruiter, limit=50).items}
    assert all(loop.bar_raiser_id in pool for loop in loops)


def test_the_override_of_an_approval_reached_the_hiring_managers_chain(demo):
    overrides = bar_raisers_services.list_overrides(actor=Actor.system("test")).items
    assert len(overrides) == 1 and overrides[0].title.startswith("Loop #")


def test_a_new_user_can_walk_a_loop_with_the_demo_logins(demo):
    for handle in ("maya.chen", "wanjiru.petrov", "ingrid.varga", "amelia.brooks"):
        assert authenticate(username=handle, password=DEMO_PASSWORD) is not None, handle
    due = hiring_services.my_interviews(actor=actor("maya.chen"), feedback_due=True)
    assert due.total == 1
    loops = hiring_services.list_loops(actor=actor("wanjiru.petrov"), state="debrief").items
    assert len(loops) == 1 and loops[0].bar_raiser_handle == "wanjiru.petrov"
    view = hiring_services.loop_view(actor=actor("wanjiru.petrov"), loop_id=loops[0].id)
    assert view.may_recommend
    assert hiring_services.loop_view(actor=actor("ingrid.varga"), loop_id=loops[0].id).loop.hiring_manager_id == (
        org_services.get_person_by_handle(actor=Actor.system("test"), handle="ingrid.varga").id
    )


def test_loading_the_demo_twice_plants_the_loops_once(demo):
    load_demo()
    assert len(hiring_services.list_openings(actor=actor("amelia.brooks")).items) == 2

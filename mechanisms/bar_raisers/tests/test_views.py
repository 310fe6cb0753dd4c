"""The bar-raiser pages (MECHANISMS.md §4): the pool with load and capacity, a member with their history, the panel
on the person page, and the forms offered only to those who may manage the pool."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.bar_raisers import services as br
from mechanisms.bar_raisers.contracts import Subject, SubjectKind
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import field_error, page_text, signed_in

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def test_the_pool_page_shows_load_capacity_trainer_and_training_day(small_org):
    br.add_to_pool(
        actor=SYSTEM,
        person_id=small_org.people["eve"].id,
        trained_on=dt.date(2024, 5, 1),
        trainer_id=small_org.people["hal"].id,
    )
    br.assign(actor=SYSTEM, subject=Subject(kind=SubjectKind.DESIGN, id=1, title="x", owner_id=None))
    text = page_text(signed_in("bob").get("/bar-raisers"))
    # The decision went to the least loaded, by handle on a tie: eve.
    assert "Eve Park @eve 1 of 2 @hal 1 May 2024 yes" in text
    assert "Hal Berg @hal 0 of 3 — 1 Jan 2024 yes" in text
    assert "Add a bar raiser" not in text
    assert "Add a bar raiser" in page_text(signed_in("admin").get("/bar-raisers"))


def test_the_active_filter_shows_members_not_taking_assignments(small_org):
    from mechanisms.bar_raisers.contracts import PoolMemberChanges

    br.update_pool_member(
        actor=SYSTEM, person_id=small_org.people["hal"].id, changes=PoolMemberChanges(active=False), version=1
    )
    assert "Nobody like that" in page_text(signed_in("bob").get("/bar-raisers?active=yes"))
    assert "Hal Berg" in page_text(signed_in("bob").get("/bar-raisers?active=no"))


def test_an_admin_adds_a_member_and_a_bad_value_is_shown_next_to_its_field(small_org):
    client = signed_in("admin")
    bad = client.post("/bar-raisers", {"handle": "eve", "trained_on": "2024-05-01", "capacity": 30})
    assert bad.status_code == 400
    assert "from 0 to 20" in field_error(bad, "id_capacity")
    unknown = client.post("/bar-raisers", {"handle": "nobody", "trained_on": "2024-05-01", "capacity": 2})
    assert unknown.status_code == 400 and "no person" in field_error(unknown, "id_handle").lower()
    done = client.post("/bar-raisers", {"handle": "eve", "trained_on": "2024-05-01", "capacity": 2, "trainer": "hal"})
    assert (done.status_code, done["Location"]) == (302, "/bar-raisers/eve")
    assert br.get_pool_member(actor=SYSTEM, person_id=small_org.people["eve"].id).trainer_handle == "hal"


def test_the_member_page_shows_load_by_kind_history_and_their_own_assignments(small_org):
    br.assign(actor=SYSTEM, subject=Subject(kind=SubjectKind.HIRING_LOOP, id=8, title="Loop 8", owner_id=None))
    theirs = page_text(signed_in("hal").get("/bar-raisers/hal"))
    assert "hiring_loop: 1" in theirs and "Your open assignments" in theirs and "#8" in theirs
    assert "joined the pool" in theirs  # the history, in the words registered for it
    other = page_text(signed_in("eve").get("/bar-raisers/hal"))
    assert "hiring_loop: 1" in other and "#8" not in other and "Change this bar raiser" not in other


def test_an_admin_changes_a_member_and_a_stale_form_says_to_reload(small_org):
    client = signed_in("admin")
    form = {"version": 1, "trained_on": "2024-01-01", "capacity": 5, "active": "on", "trainer": "", "note": ""}
    assert client.post("/bar-raisers/hal", form).status_code == 302
    assert br.get_pool_member(actor=SYSTEM, person_id=small_org.people["hal"].id).capacity == 5
    stale = client.post("/bar-raisers/hal", form)
    assert stale.status_code == 409 and "Reload" in page_text(stale)


def test_a_person_outside_the_pool_has_no_member_page(small_org):
    assert signed_in("eve").get("/bar-raisers/bob").status_code == 404
    assert signed_in("eve").get("/bar-raisers/nobody").status_code == 404


def test_a_refused_post_changes_nothing(small_org):
    response = signed_in("eve").post("/bar-raisers/hal", {"version": 1, "trained_on": "2024-01-01", "capacity": 9})
    assert response.status_code == 403
    assert br.get_pool_member(actor=SYSTEM, person_id=small_org.people["hal"].id).version == 1


def test_the_person_page_shows_pool_membership_and_load(small_org):
    client = signed_in("eve")
    assert "In the bar-raiser pool since 1 Jan 2024: 0 open assignments of 3" in page_text(client.get("/people/hal"))
    assert "Not in the bar-raiser pool" in page_text(client.get("/people/bob"))


def test_the_navigation_leads_to_the_pool(small_org):
    assert 'href="/bar-raisers"' in signed_in("eve").get("/").content.decode()

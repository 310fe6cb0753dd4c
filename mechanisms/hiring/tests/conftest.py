"""Hiring fixtures on top of the root `small_org`, built through the public services.

`hiring_org` adds two recruiters (accounts named after their handles, password as every fixture account):
rex holds the recruiter role over the retail unit, rae company-wide; neither is on a team. `open_opening(...)`
makes an opening on checkout (hiring manager ann, recruiter rex) and opens it; `JD` is a job description long
enough to open one.

`world` (the seal tests): every role a loop knows and a loop in every phase (hiring/tests/world.py)."""

from __future__ import annotations

import pytest

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import PASSWORD

JD = (
    "We are looking for a senior engineer to own the checkout experience end to end: the cart, the payment "
    "hand-off and the order confirmation. You will design services that stay up on the busiest day of the year, "
    "mentor two engineers, and work backwards from what our customers need."
)


@pytest.fixture
def hiring_org(small_org):
    from mechanisms.org import services as org

    system = Actor.system("fixture")
    for handle, name, unit in (("rex", "Rex Ode", "retail"), ("rae", "Rae Lund", None)):
        person = org.create_person(
            actor=system, handle=handle, name=name, email=f"{handle}@acme.test", manager_id=small_org.people["ceo"].id
        )
        small_org.people[handle] = person
        org.grant_role(
            actor=system,
            person_id=person.id,
            role="recruiter",
            org_unit_id=small_org.units[unit].id if unit else None,
        )
        account = org.create_account(actor=system, username=handle, password=PASSWORD, person_id=person.id)
        small_org.actors[handle] = Actor(user_id=account.user_id, person_id=person.id, label=handle)
    return small_org


@pytest.fixture
def make_opening(hiring_org):
    """make_opening(open=True, **overrides) -> OpeningRecord on checkout, hiring manager ann, recruiter rex."""
    from mechanisms.hiring import services as hiring

    def make(*, open: bool = True, actor: str = "ann", **overrides):
        values = {
            "title": "Senior SDE (checkout)",
            "team_id": hiring_org.teams["checkout"].id,
            "hiring_manager_id": hiring_org.people["ann"].id,
            "recruiter_id": hiring_org.people["rex"].id,
            "level": "L6",
            "job_description": JD,
            "principles": ("customer-obsession", "ownership", "dive-deep"),
        }
        values.update(overrides)
        opening = hiring.create_opening(actor=hiring_org.actor(actor), **values)
        if open:
            opening = hiring.open_opening(actor=hiring_org.actor(actor), opening_id=opening.id, version=opening.version)
        return opening

    return make


@pytest.fixture
def make_candidate(hiring_org, make_opening):
    """make_candidate(opening=None, name="Jo Quinn", **overrides) -> CandidateRecord, added by rex."""
    from mechanisms.hiring import services as hiring

    def make(*, opening=None, name: str = "Jo Quinn", actor: str = "rex", **overrides):
        opening = opening or make_opening()
        values = {
            "email": "jo.quinn@example.com",
            "phone": "+1 555 0100",
            "source": "referral",
            "source_detail": "referred by Bob",
        }
        values.update(overrides)
        return hiring.add_candidate(actor=hiring_org.actor(actor), opening_id=opening.id, name=name, **values)

    return make


@pytest.fixture
def world(small_org, settings, tmp_path):
    """The seal world (hiring/tests/world.py), with résumés stored under this test's own media folder."""
    from .world import build_world

    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(small_org)

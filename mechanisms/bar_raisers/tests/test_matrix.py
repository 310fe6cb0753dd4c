"""Who may see and manage the bar-raiser pool, as a table (kernel.testing.check_matrix; MECHANISMS.md §4): the pool
is open to every signed-in person; admins and company-wide leadership manage it, nobody else (a unit's leadership,
a bar raiser, anyone), and a refusal changes nothing; a bar raiser's assignments are theirs alone."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as br
from mechanisms.bar_raisers.cli import bar_raisers as bar_raisers_cli
from mechanisms.bar_raisers.contracts import Subject, SubjectKind
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import api_door, check_matrix, cli_door, page_door
from mechanisms.org import services as org_services

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
ROLES = {
    "admin": "admin",
    "leadership": "ceo",
    "unit_leadership": "vp-retail",
    "bar_raiser": "hal",
    "member": "eve",
    "anonymous": None,
}


@pytest.fixture
def roles(small_org):
    org_services.grant_role(actor=SYSTEM, person_id=small_org.people["ceo"].id, role="leadership")
    org_services.grant_role(
        actor=SYSTEM,
        person_id=small_org.people["vp-retail"].id,
        role="leadership",
        org_unit_id=small_org.units["retail"].id,
    )
    return small_org


def _state(member):
    current = br.get_pool_member(actor=SYSTEM, person_id=member.person_id)
    return current.version, current.capacity, audit_services.list_changes(actor=SYSTEM, limit=1).total


def test_every_signed_in_person_reads_the_pool(roles, as_):
    hal = br.get_pool_member(actor=SYSTEM, person_id=roles.people["hal"].id)
    check_matrix(
        """
                         hal
        admin            allowed
        leadership       allowed
        unit_leadership  allowed
        bar_raiser       allowed
        member           allowed
        anonymous        401
        """,
        doors=[
            api_door(lambda m: "/api/v1/bar-raisers", client_for=as_, name="api list"),
            api_door(lambda m: f"/api/v1/bar-raisers/{m.person_id}", client_for=as_),
            page_door(lambda m: "/bar-raisers", name="pool page"),
            page_door(lambda m: f"/bar-raisers/{m.handle}"),
        ],
        records={"hal": hal},
        roles=ROLES,
    )


def test_only_admins_and_company_wide_leadership_change_a_member(roles, as_):
    hal = br.get_pool_member(actor=SYSTEM, person_id=roles.people["hal"].id)

    def body(member):
        return {"version": br.get_pool_member(actor=SYSTEM, person_id=member.person_id).version, "capacity": 4}

    def form(member):
        current = br.get_pool_member(actor=SYSTEM, person_id=member.person_id)
        return {"version": current.version, "trained_on": "2024-01-01", "capacity": 4, "active": "on"}

    def cli_args(member):
        return ["update", member.handle, "--version", str(_state(member)[0]), "--capacity", "4"]

    check_matrix(
        """
                         hal
        unit_leadership  403
        bar_raiser       403
        member           403
        anonymous        401
        leadership       allowed
        admin            allowed
        """,
        doors=[
            api_door(lambda m: f"/api/v1/bar-raisers/{m.person_id}", method="patch", body=body, client_for=as_),
            page_door(lambda m: f"/bar-raisers/{m.handle}", method="post", data=form),
        ],
        records={"hal": hal},
        roles=ROLES,
        unchanged=_state,
    )
    check_matrix(
        """
                         hal
        unit_leadership  403
        bar_raiser       403
        member           403
        leadership       allowed
        admin            allowed
        """,
        doors=[cli_door(bar_raisers_cli, cli_args)],
        records={"hal": hal},
        roles=ROLES,
        unchanged=_state,
    )


@pytest.mark.parametrize("door", ["api", "page"])
def test_only_admins_and_company_wide_leadership_add_a_member(roles, as_, door):
    eve = roles.people["eve"]

    def count(_):
        return (
            len(br.pool_ids(actor=SYSTEM, active_only=False)),
            audit_services.list_changes(actor=SYSTEM, limit=1).total,
        )

    doors = {
        "api": api_door(
            lambda p: "/api/v1/bar-raisers",
            method="post",
            body=lambda p: {"person_id": p.id, "trained_on": "2024-05-01"},
            client_for=as_,
        ),
        "page": page_door(
            lambda p: "/bar-raisers",
            method="post",
            data=lambda p: {"handle": p.handle, "trained_on": "2024-05-01", "capacity": 2},
        ),
    }
    check_matrix(
        """
                         eve
        unit_leadership  403
        bar_raiser       403
        member           403
        anonymous        401
        leadership       allowed
        """,
        doors=[doors[door]],
        records={"eve": eve},
        roles=ROLES,
        unchanged=count,
    )


def test_a_bar_raisers_assignments_are_theirs_alone(roles, as_):
    br.assign(actor=SYSTEM, subject=Subject(kind=SubjectKind.HIRING_LOOP, id=4, title="Loop 4", owner_id=None))
    hal = br.get_pool_member(actor=SYSTEM, person_id=roles.people["hal"].id)
    check_matrix(
        """
                         hal
        admin            403
        leadership       403
        member           403
        anonymous        401
        bar_raiser       allowed
        """,
        doors=[api_door(lambda m: f"/api/v1/bar-raisers/{m.person_id}/assignments", client_for=as_)],
        records={"hal": hal},
        roles=ROLES,
    )

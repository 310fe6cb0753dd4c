"""Who may see and do what in org, as a table (kernel.testing.check_matrix): the directory is open to every
signed-in person, role grants are seen by admins, their holder and leadership over their unit, and only admins
grant roles; team changes are for the team and admins. A refused write changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import api_door, check_matrix, cli_door, listing_door, page_door, page_text, signed_in
from mechanisms.org import services as org
from mechanisms.org.cli import roles as roles_cli
from mechanisms.org.cli import teams as teams_cli

pytestmark = pytest.mark.django_db

ROLES = {
    "admin": "admin",
    "member": "bob",
    "leader": "ann",
    "manager": "vp-retail",
    "other": "eve",
    "recruiter": "hal",
    "leadership": "vp-platform",
}


@pytest.fixture
def grants(small_org):
    admin = small_org.actor("admin")
    people, units = small_org.people, small_org.units
    return {
        "retail_grant": org.grant_role(
            actor=admin, person_id=people["hal"].id, role="recruiter", org_unit_id=units["retail"].id
        ),
        "platform_grant": org.grant_role(
            actor=admin, person_id=people["gus"].id, role="finance", org_unit_id=units["platform"].id
        ),
        "leadership": org.grant_role(
            actor=admin, person_id=people["vp-platform"].id, role="leadership", org_unit_id=units["platform"].id
        ),
    }


def _audit_count(small_org) -> int:
    return audit_services.list_changes(actor=small_org.actor("admin"), limit=1).total


def test_the_directory_is_open_to_everyone_signed_in_and_to_nobody_else(small_org, as_):
    check_matrix(
        """
                    checkout  identity
        admin       allowed   allowed
        member      allowed   allowed
        other       allowed   allowed
        recruiter   allowed   allowed
        anonymous   401       401
        """,
        doors=[
            api_door(lambda t: f"/api/v1/teams/{t.id}", client_for=as_),
            page_door(lambda t: f"/teams/{t.slug}"),
            api_door(lambda t: f"/api/v1/people?team_id={t.id}", client_for=as_, name="api people of team"),
        ],
        records={"checkout": small_org.teams["checkout"], "identity": small_org.teams["identity"]},
        roles=ROLES,
    )


def test_the_directory_is_open_through_the_cli_as_anyone(small_org):
    check_matrix(
        """
                    checkout  identity
        member      allowed   allowed
        other       allowed   allowed
        admin       allowed   allowed
        """,
        doors=[cli_door(teams_cli, lambda t: ["show", t.slug], name="cli teams show")],
        records={"checkout": small_org.teams["checkout"], "identity": small_org.teams["identity"]},
        roles=ROLES,
    )


def test_role_grants_are_seen_by_admins_their_holder_and_leadership_over_their_unit(small_org, as_, grants):
    def listed_by_api(handle, grant):
        if handle is None:
            return False
        return any(g["id"] == grant.id for g in as_(handle).get("/api/v1/role-grants?limit=200").json()["items"])

    def listed_on_page(handle, grant):
        name = org.get_person(actor=Actor.system("test"), person_id=grant.person_id).name
        return name in page_text(signed_in(handle).get("/roles"))

    check_matrix(
        """
                    retail_grant  platform_grant
        member      404           404
        leader      404           404
        manager     404           404
        other       404           404
        recruiter   allowed       404
        leadership  404           allowed
        admin       allowed       allowed
        """,
        doors=[
            api_door(lambda g: f"/api/v1/role-grants/{g.id}", client_for=as_),
            listing_door(listed_by_api, name="api list"),
            listing_door(listed_on_page, name="page /roles"),
        ],
        records=grants,
        roles=ROLES,
    )
    check_matrix(
        """
                    retail_grant
        anonymous   401
        """,
        doors=[api_door(lambda g: f"/api/v1/role-grants/{g.id}", client_for=as_)],
        records=grants,
    )


def test_only_admins_grant_or_end_roles_and_a_refusal_changes_nothing(small_org, as_, grants):
    def state(grant):
        current = org.get_role_grant(actor=small_org.actor("admin"), grant_id=grant.id)
        total = org.list_role_grants(actor=small_org.actor("admin")).total
        return current.version, current.ends_on, total, _audit_count(small_org)

    def current_version(grant):
        return {"version": org.get_role_grant(actor=small_org.actor("admin"), grant_id=grant.id).version}

    check_matrix(
        """
                    retail_grant
        member      403
        leader      403
        manager     403
        other       403
        recruiter   403
        leadership  403
        anonymous   401
        admin       allowed
        """,
        doors=[
            api_door(
                lambda g: "/api/v1/role-grants",
                method="post",
                body=lambda g: {"person_id": g.person_id, "role": "finance"},
                client_for=as_,
                name="api grant",
            ),
            page_door(lambda g: "/roles", method="post", data=lambda g: {"handle": "hal", "role": "finance"}),
        ],
        records={"retail_grant": grants["retail_grant"]},
        roles=ROLES,
        unchanged=state,
    )
    check_matrix(
        """
                    retail_grant
        member      403
        leadership  403
        admin       allowed
        """,
        doors=[cli_door(roles_cli, lambda g: ["grant", "hal", "leadership"], name="cli grant")],
        records={"retail_grant": grants["retail_grant"]},
        roles=ROLES,
        unchanged=state,
    )
    check_matrix(
        """
                    retail_grant
        member      404
        recruiter   403
        admin       allowed
        """,
        doors=[
            api_door(
                lambda g: f"/api/v1/role-grants/{g.id}/end",
                method="post",
                body=current_version,
                client_for=as_,
                name="api end",
            )
        ],
        records={"retail_grant": grants["retail_grant"]},
        roles=ROLES,
        unchanged=state,
    )


def test_a_team_is_changed_by_its_members_and_leader_and_admins_only(small_org, as_):
    def state(team):
        return org.get_team(actor=Actor.system("test"), team_id=team.id).version, _audit_count(small_org)

    def patch(team):
        return {
            "version": org.get_team(actor=Actor.system("test"), team_id=team.id).version,
            "charter": "Checkout, rewritten.",
        }

    check_matrix(
        """
                    checkout
        manager     403
        other       403
        recruiter   403
        leadership  403
        anonymous   401
        member      allowed
        leader      allowed
        admin       allowed
        """,
        doors=[
            api_door(lambda t: f"/api/v1/teams/{t.id}", method="patch", body=patch, client_for=as_),
            page_door(
                lambda t: f"/teams/{t.slug}/edit",
                method="post",
                data=lambda t: {
                    **patch(t),
                    "name": t.name,
                    "org_unit": t.org_unit_id,
                    "status": "active",
                    "leader": "ann",
                },
                name="page edit",
            ),
        ],
        records={"checkout": small_org.teams["checkout"]},
        roles=ROLES,
        unchanged=state,
    )


def test_a_role_grants_history_is_seen_by_whoever_may_see_the_grant(small_org, as_, grants):
    check_matrix(
        """
                    retail_grant  platform_grant
        member      404           404
        manager     404           404
        recruiter   allowed       404
        leadership  404           allowed
        admin       allowed       allowed
        anonymous   401           401
        """,
        doors=[api_door(lambda g: f"/api/v1/history?subject_type=role_grant&subject_id={g.id}", client_for=as_)],
        records={"retail_grant": grants["retail_grant"], "platform_grant": grants["platform_grant"]},
        roles=ROLES,
    )


def test_every_directory_read_refuses_an_unauthenticated_actor(small_org):
    from mechanisms.kernel.actor import Actor
    from mechanisms.kernel.errors import PermissionDenied

    nobody = Actor.anonymous()
    team, person = small_org.teams["checkout"], small_org.people["bob"]
    reads = [
        lambda: org.get_person(actor=nobody, person_id=person.id),
        lambda: org.find_person(actor=nobody, handle=person.handle),
        lambda: org.get_people(actor=nobody, ids=[person.id]),
        lambda: org.list_people(actor=nobody),
        lambda: org.get_team(actor=nobody, team_id=team.id),
        lambda: org.get_team_by_slug(actor=nobody, slug=team.slug),
        lambda: org.get_teams(actor=nobody, ids=[team.id]),
        lambda: org.list_teams(actor=nobody),
        lambda: org.team_index(actor=nobody),
        lambda: org.all_org_units(actor=nobody),
        lambda: org.list_org_units(actor=nobody),
        lambda: org.list_memberships(actor=nobody),
        lambda: org.team_members(actor=nobody, team_id=team.id),
        lambda: org.management_chain(actor=nobody, person_id=person.id),
        lambda: org.person_teams(actor=nobody, person_id=person.id),
        lambda: org.check_org_rules(actor=nobody),
        lambda: org.list_role_grants(actor=nobody),
    ]
    for i, read in enumerate(reads):
        with pytest.raises(PermissionDenied):
            read()
            pytest.fail(f"read {i} answered an unauthenticated actor")

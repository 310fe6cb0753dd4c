"""Who may see what in the mandate, as a table (kernel.testing.check_matrix): findings are open to every signed-in
person; a team's scorecard to the team, its leader's management chain, leadership over its unit and admins."""

from __future__ import annotations

import pytest

from mechanisms.kernel.testing import api_door, check_matrix, page_door
from mechanisms.org import services as org

pytestmark = pytest.mark.django_db

ROLES = {
    "admin": "admin",
    "member": "bob",
    "leader": "ann",
    "manager": "vp-retail",
    "other": "eve",
    "leadership": "hal",
}


def test_a_team_scorecard_is_seen_by_the_team_its_chain_leadership_over_it_and_admins(small_org, as_):
    org.grant_role(
        actor=small_org.actor("admin"),
        person_id=small_org.people["hal"].id,
        role="leadership",
        org_unit_id=small_org.units["platform"].id,
    )
    check_matrix(
        """
                    checkout  identity
        member      allowed   403
        leader      allowed   403
        manager     allowed   403
        other       403       403
        leadership  403       allowed
        admin       allowed   allowed
        anonymous   401       401
        """,
        doors=[
            api_door(lambda t: f"/api/v1/mandate/teams/{t.id}/scorecard", client_for=as_),
            page_door(lambda t: f"/teams/{t.slug}/scorecard"),
        ],
        records={"checkout": small_org.teams["checkout"], "identity": small_org.teams["identity"]},
        roles=ROLES,
    )


def test_findings_and_waivers_are_open_to_everyone_signed_in(small_org, as_):
    check_matrix(
        """
                    checkout
        member      allowed
        other       allowed
        leadership  allowed
        admin       allowed
        anonymous   401
        """,
        doors=[
            api_door(lambda t: f"/api/v1/mandate/findings?team_id={t.id}", client_for=as_),
            api_door(lambda t: "/api/v1/mandate/waivers", client_for=as_, name="api waivers"),
        ],
        records={"checkout": small_org.teams["checkout"]},
        roles=ROLES,
    )

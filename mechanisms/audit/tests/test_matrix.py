"""Who may read the change log, as a table (kernel.testing.check_matrix; audit.policy): the whole log and every
record of a type are for admins; one record's history for whoever its owning app lets see the record; nothing
for an unauthenticated caller. The records come from the small org (a team, a person's preferences)."""

from __future__ import annotations

import pytest

from mechanisms.kernel.testing import api_door, check_matrix

pytestmark = pytest.mark.django_db

ROLES = {"admin": "admin", "member": "bob", "other": "eve"}


def test_the_whole_log_and_every_record_of_a_type_are_for_admins(small_org, as_):
    check_matrix(
        """
                   log
        member     403
        other      403
        anonymous  401
        admin      allowed
        """,
        doors=[
            api_door(lambda _: "/api/v1/history", client_for=as_, name="api whole log"),
            api_door(lambda _: "/api/v1/history?subject_type=team", client_for=as_, name="api every team"),
        ],
        records={"log": None},
        roles=ROLES,
    )


def test_one_records_history_is_shown_as_its_owner_decides(small_org, as_):
    checkout = small_org.teams["checkout"]
    bob = small_org.people["bob"]
    check_matrix(
        """
                   team      bobs_preferences
        member     allowed   allowed
        other      allowed   404
        admin      allowed   allowed
        anonymous  401       401
        """,
        doors=[api_door(lambda path: path, client_for=as_, name="api history")],
        records={
            "team": f"/api/v1/history?subject_type=team&subject_id={checkout.id}",
            "bobs_preferences": f"/api/v1/history?subject_type=notification_preferences&subject_id={bob.id}",
        },
        roles=ROLES,
    )

"""Who may see and do what with a decision, as tables (kernel.testing.check_matrix): a decision log is open to every
signed-in person through every door; only the participant signs their own stance (not the owner, not an admin),
only the owner decides, and a refused write changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.decisions import services as decisions
from mechanisms.decisions.cli import decisions as decisions_cli
from mechanisms.decisions.contracts import OptionInput
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import api_door, check_matrix, cli_door, listing_door, page_door

pytestmark = pytest.mark.django_db

ROLES = {"admin": "admin", "owner": "ann", "participant": "bob", "bystander": "eve"}
SYSTEM = Actor.system("test")


@pytest.fixture
def decision(small_org):
    return decisions.create_decision(
        actor=small_org.actor("ann"),
        question="Which database for orders?",
        options=[OptionInput("PostgreSQL"), OptionInput("DynamoDB")],
        participant_ids=[small_org.people["bob"].id],
    )


def _state(d):
    """What a refused write must leave as it was: the version, the stances, the number of history records."""
    current = decisions.get_decision(actor=SYSTEM, decision_id=d.id)
    changes = audit_services.list_changes(actor=SYSTEM, subject_type="decision", subject_id=d.id).total
    return current.version, tuple((p.person_id, p.stance) for p in current.participants), changes


def _history_lists(small_org):
    def listed(handle, d):
        actor = small_org.actor(handle) if handle else Actor.anonymous()
        try:
            return audit_services.list_changes(actor=actor, subject_type="decision", subject_id=d.id).total > 0
        except Exception:
            return False

    return listed


def test_the_decision_log_is_open_to_every_signed_in_person(small_org, decision, as_):
    check_matrix(
        """
                     d
        admin        allowed
        owner        allowed
        participant  allowed
        bystander    allowed
        anonymous    401
        """,
        doors=[
            api_door(lambda d: f"/api/v1/decisions/{d.id}", client_for=as_),
            api_door(lambda d: "/api/v1/decisions", client_for=as_, name="api list"),
            page_door(lambda d: d.url),
            page_door(lambda d: f"/decisions/{d.number}.pdf", name="pdf"),
        ],
        records={"d": decision},
        roles=ROLES,
    )
    check_matrix(
        """
                     d
        admin        allowed
        owner        allowed
        bystander    allowed
        anonymous    404
        """,
        doors=[listing_door(_history_lists(small_org), name="history")],
        records={"d": decision},
        roles=ROLES,
    )


def test_only_the_participant_signs_their_own_stance(small_org, decision, as_):
    check_matrix(
        """
                     d
        anonymous    401
        admin        403
        owner        403
        bystander    403
        participant  allowed
        """,
        doors=[
            api_door(
                lambda d: f"/api/v1/decisions/{d.id}/stance",
                client_for=as_,
                method="post",
                body=lambda d: {"stance": "agree"},
            ),
            page_door(lambda d: f"{d.url}/stance", method="post", data=lambda d: {"stance": "still_disagree"}),
        ],
        records={"d": decision},
        roles=ROLES,
        unchanged=_state,
    )
    check_matrix(
        """
                     d
        owner        403
        bystander    403
        participant  allowed
        """,
        doors=[cli_door(decisions_cli, lambda d: ["stance", str(d.number), "--stance", "agree"])],
        records={"d": decision},
        roles=ROLES,
        unchanged=_state,
    )


def test_only_the_owner_decides(small_org, decision, as_):
    def body(d):
        return {"version": decisions.get_decision(actor=SYSTEM, decision_id=d.id).version, "chosen_option": 1,
                "decision": "PostgreSQL."}  # fmt: skip

    check_matrix(
        """
                     d
        anonymous    401
        admin        403
        participant  403
        bystander    403
        owner        allowed
        """,
        doors=[api_door(lambda d: f"/api/v1/decisions/{d.id}/decide", client_for=as_, method="post", body=body)],
        records={"d": decision},
        roles=ROLES,
        unchanged=_state,
    )

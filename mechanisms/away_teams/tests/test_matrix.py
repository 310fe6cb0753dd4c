"""Who may see and move away-team requests, as a table (kernel.testing.check_matrix): every signed-in person reads
every request; only the requesting team withdraws one, and a refused move changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.away_teams import services as away
from mechanisms.away_teams.cli import away as away_cli
from mechanisms.kernel.testing import api_door, check_matrix, cli_door, listing_door, page_door

pytestmark = pytest.mark.django_db

ROLES = {"admin": "admin", "requester": "bob", "home": "dan", "home_member": "eve", "bystander": "gus"}


@pytest.fixture
def filed(small_org):
    """checkout (bob) asks payments to change payments-api."""
    return away.file_request(
        actor=small_org.actor("bob"),
        service_id=small_org.services["payments-api"].id,
        requesting_team_id=small_org.teams["checkout"].id,
        title="Refunds by API",
        what="An endpoint to refund an order.",
        why="Customers wait days for refunds.",
    )


def test_every_signed_in_person_reads_every_request(small_org, as_, filed):
    def listed(handle, request):
        items = as_(handle).get("/api/v1/away-requests?limit=200").json()["items"] if handle else []
        return any(r["id"] == request.id for r in items)

    check_matrix(
        """
                     refunds
        requester    allowed
        home         allowed
        bystander    allowed
        admin        allowed
        anonymous    401
        """,
        doors=[
            api_door(lambda r: f"/api/v1/away-requests/{r.id}", client_for=as_),
            page_door(lambda r: f"/away/requests/{r.id}"),
        ],
        records={"refunds": filed},
        roles=ROLES,
    )
    check_matrix(
        """
                     refunds
        bystander    allowed
        anonymous    404
        """,
        doors=[listing_door(listed, name="api list")],
        records={"refunds": filed},
        roles=ROLES,
    )
    check_matrix(
        """
                     refunds
        bystander    allowed
        admin        allowed
        """,
        doors=[cli_door(away_cli, lambda r: ["show", str(r.id)])],
        records={"refunds": filed},
        roles=ROLES,
    )


def test_only_the_requesting_team_withdraws_and_a_refusal_changes_nothing(small_org, as_, filed):
    def state(request):
        current = away.get_request(actor=small_org.actor("admin"), request_id=request.id)
        return (
            current.version,
            current.state,
            audit_services.list_changes(actor=small_org.actor("admin"), limit=1).total,
        )

    def body(request):
        current = away.get_request(actor=small_org.actor("admin"), request_id=request.id)
        return {"version": current.version, "reason": "No longer needed."}

    check_matrix(
        """
                     refunds
        home         403
        home_member  403
        bystander    403
        anonymous    401
        requester    allowed
        """,
        doors=[api_door(lambda r: f"/api/v1/away-requests/{r.id}/withdraw", method="post", body=body, client_for=as_)],
        records={"refunds": filed},
        roles=ROLES,
        unchanged=state,
    )

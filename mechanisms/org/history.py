"""The org app's kinds of record with a history, registered with the audit app (docs/audit.md).

The directory (people, org units, teams and their memberships) is open to every signed-in person, so is its
history; an account's history (its API tokens) is for the person themselves and admins."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType
from mechanisms.kernel.actor import Actor

OWNER = "org"


def _own_account(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    # An account's subject id is its user id.
    return ids & {str(actor.user_id)} if actor.user_id is not None else frozenset()


def register() -> None:
    for subject_type in (
        SubjectType(
            name="person",
            owner=OWNER,
            verbs=frozenset({"create", "update", "deactivate"}),
            visible=audit_services.visible_to_signed_in,
        ),
        SubjectType(
            name="org_unit",
            owner=OWNER,
            label="org unit",
            verbs=frozenset({"create", "update", "delete"}),
            visible=audit_services.visible_to_signed_in,
        ),
        SubjectType(
            name="team",
            owner=OWNER,
            # Memberships are recorded on their team.
            verbs=frozenset({"create", "update", "dissolve", "add_member", "remove_member"}),
            visible=audit_services.visible_to_signed_in,
        ),
        SubjectType(
            name="account",
            owner=OWNER,
            # API tokens are recorded on their account.
            verbs=frozenset({"create", "issue_token", "revoke_token"}),
            visible=_own_account,
        ),
    ):
        audit_services.register_subject_type(subject_type=subject_type)

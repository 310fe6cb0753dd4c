"""The org app's kinds of record with a history, registered with the audit app (docs/audit.md).

The directory (people, org units, teams and their memberships) is open to every signed-in person, so is its
history; an account's history (its API tokens) is for the person themselves and admins; a role grant's history
is for whoever may see the grant. Each resolver asks org's policy (org/policy.py `visible_ids`)."""

from __future__ import annotations

from collections.abc import Callable

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType
from mechanisms.kernel.actor import Actor

from . import policy as _policy

OWNER = "org"


def _visible(subject_type: str) -> Callable[[Actor, frozenset[str]], frozenset[str]]:
    def visible(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
        return _policy.visible_ids(actor, subject_type, ids)

    return visible


def _ids(ids: frozenset[str]) -> list[int]:
    return [int(i) for i in ids if i.isdigit()]


def _people(ids: frozenset[str]) -> dict[str, str]:
    from . import services

    return {str(k): v.name for k, v in services.get_people(actor=Actor.system("org"), ids=_ids(ids)).items()}


def _teams(ids: frozenset[str]) -> dict[str, str]:
    from . import services

    return {str(k): v.name for k, v in services.get_teams(actor=Actor.system("org"), ids=_ids(ids)).items()}


def _units(ids: frozenset[str]) -> dict[str, str]:
    from . import services

    return {str(k): v.name for k, v in services.get_org_units(actor=Actor.system("org"), ids=_ids(ids)).items()}


def register() -> None:
    for subject_type in (
        SubjectType(
            name="person",
            owner=OWNER,
            verbs=frozenset({"create", "update", "deactivate"}),
            visible=_visible("person"),
            verb_words={"deactivate": "deactivated"},
            references={"manager_id": "person"},
            names=_people,
        ),
        SubjectType(
            name="org_unit",
            owner=OWNER,
            label="org unit",
            verbs=frozenset({"create", "update", "delete"}),
            visible=_visible("org_unit"),
            references={"parent_id": "org_unit", "leader_id": "person"},
            names=_units,
        ),
        SubjectType(
            name="team",
            owner=OWNER,
            # Memberships are recorded on their team.
            verbs=frozenset({"create", "update", "dissolve", "add_member", "remove_member"}),
            visible=_visible("team"),
            verb_words={
                "add_member": "added a member",
                "remove_member": "removed a member",
                "dissolve": "dissolved the team",
            },
            field_labels={
                "slug": "slug",
                "name": "name",
                "charter": "charter",
                "org_unit_id": "org unit",
                "leader_id": "leader",
                "status": "status",
            },
            references={"leader_id": "person", "org_unit_id": "org_unit", "person_id": "person", "team_id": "team"},
            names=_teams,
        ),
        SubjectType(
            name="account",
            owner=OWNER,
            # API tokens are recorded on their account.
            verbs=frozenset({"create", "issue_token", "revoke_token"}),
            visible=_visible("account"),
        ),
        SubjectType(
            name="role_grant",
            owner=OWNER,
            label="role grant",
            verbs=frozenset({"grant_role", "end_role_grant"}),
            visible=_visible("role_grant"),
        ),
    ):
        audit_services.register_subject_type(subject_type=subject_type)

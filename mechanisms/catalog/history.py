"""The catalog's kinds of record with a history, registered with the audit app (docs/audit.md).

The catalog is open to every signed-in person, so is its history."""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import SubjectType
from mechanisms.kernel.actor import Actor

from . import policy as _policy

OWNER = "catalog"
CRUD = frozenset({"create", "update", "delete"})


def _services(ids: frozenset[str]) -> dict[str, str]:
    from . import services

    return {
        str(k): v.name
        for k, v in services.get_services(
            actor=Actor.system("catalog"), ids=[int(i) for i in ids if i.isdigit()]
        ).items()
    }


# How a service's history reads: its owner is a team (org's), the rest are its own fields.
SERVICE_WORDS = {
    "verb_words": {"transfer": "transferred ownership", "retire": "retired"},
    "references": {"owner_team_id": "team"},
    "names": _services,
}
PART_WORDS = {"references": {"service_id": "service", "owner_service_id": "service"}}


def register() -> None:
    for name, verbs, words in (
        ("service", frozenset({"create", "update", "retire", "transfer"}), SERVICE_WORDS),
        ("interface", CRUD, PART_WORDS),
        ("datastore", CRUD, PART_WORDS),
        ("dependency", CRUD, PART_WORDS),
    ):
        audit_services.register_subject_type(
            subject_type=SubjectType(name=name, owner=OWNER, verbs=verbs, visible=_policy.visible_ids, **words)
        )

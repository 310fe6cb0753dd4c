"""Export and import the whole org and catalog as one JSON document: a lossless round trip, all or nothing.

A person's `bar_raiser_since` and `bar_raiser_capacity` are the bar-raiser pool's (the bar_raisers app owns it since
issue 10): the export composes them from the pool, the import hands them to `bar_raisers.services.import_pool` after
the people are in. A member who does not take assignments now (or has left) is written without a training date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import PoolRecord
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import (
    DatastoreRecord,
    DependencyRecord,
    InterfaceRecord,
    OwnershipRecord,
    ServiceRecord,
)
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.importing import ImportReport, Problems
from mechanisms.org import services as org_services
from mechanisms.org.contracts import MemberRecord, OrgUnitRecord, PersonRecord, TeamRecord

FORMAT = "mechanisms/v1"
SECTIONS = ("people", "org_units", "teams", "services", "interfaces", "datastores", "dependencies")


# The document's keys, in the order they are written: this is the file format (mechanisms/v1), so it is spelled
# out here rather than taken from the records' field order (which also holds `source`, an import location).
PERSON_KEYS = ("handle", "name", "email", "manager", "title", "discipline", "active")
POOL_KEYS = ("bar_raiser_since", "bar_raiser_capacity")  # each person's, from the bar-raiser pool
ORG_UNIT_KEYS = ("slug", "name", "kind", "parent", "leader")
TEAM_KEYS = ("slug", "name", "org_unit", "charter", "status", "leader", "created_on", "dissolved_on", "members")
MEMBER_KEYS = ("person", "role", "joined_on")
SERVICE_KEYS = (
    "name",
    "owner_team",
    "title",
    "description",
    "lifecycle",
    "kind",
    "tier",
    "repository",
    "on_call",
    "owner_ref",
    "ownership",
)
OWNERSHIP_KEYS = ("team", "started_at", "ended_at", "reason")
INTERFACE_KEYS = (
    "name",
    "service",
    "type",
    "api_version",
    "description",
    "definition",
    "docs_url",
    "auth_scheme",
    "visibility",
    "lifecycle",
)
DATASTORE_KEYS = ("name", "owner_service", "type", "description")
DEPENDENCY_KEYS = ("service", "kind", "target", "access", "description")
NESTED_KEYS = {"members": MEMBER_KEYS, "ownership": OWNERSHIP_KEYS}


def export_everything() -> dict[str, Any]:
    """The org and the catalog, keyed by natural names, in a stable order."""
    org = org_services.export_org(actor=Actor.system("workflows"))
    catalog = catalog_services.export_catalog(actor=Actor.system("workflows"))
    pool = {m.handle: m for m in bar_raisers_services.export_pool(actor=Actor.system("workflows")) if m.active}
    people = _objects(org.people, PERSON_KEYS)
    for person in people:
        member = pool.get(person["handle"])
        person["bar_raiser_since"] = member.trained_on.isoformat() if member else None
        person["bar_raiser_capacity"] = member.capacity if member else 0
    return {
        "format": FORMAT,
        "exported_at": clock.now().isoformat(),
        "people": people,
        "org_units": _objects(org.org_units, ORG_UNIT_KEYS),
        "teams": _objects(org.teams, TEAM_KEYS),
        "services": _objects(catalog.services, SERVICE_KEYS),
        "interfaces": _objects(catalog.interfaces, INTERFACE_KEYS),
        "datastores": _objects(catalog.datastores, DATASTORE_KEYS),
        "dependencies": _objects(catalog.dependencies, DEPENDENCY_KEYS),
    }


def _objects(records: Iterable[Any], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Records as JSON objects: dates and times in ISO 8601, nested records as lists of objects."""
    return [{key: _value(key, getattr(r, key)) for key in keys} for r in records]


def _value(key: str, value: Any) -> Any:
    if isinstance(value, dt.date):  # a datetime is a date too
        return value.isoformat()
    if key in NESTED_KEYS:
        return _objects(value, NESTED_KEYS[key])
    return value


def export_everything_for(*, actor: Actor) -> dict[str, Any]:
    """The export, for a signed-in person (catalog and org records are readable by every member)."""
    org_services.require_signed_in(actor)
    return export_everything()


def import_everything(*, actor: Actor, document: Any, prune: bool = False, origin: str = "") -> ImportReport:
    """Import an export document in one transaction: every problem in every section is reported with its
    location (`people[3].email`) and nothing changes, or everything does. Admin only."""
    org_services.require_admin(actor, "import the org and catalog")
    prefix = f"{origin}: " if origin else ""
    problems = Problems()
    if not isinstance(document, dict):
        raise RuleViolation(f"{prefix}expected a JSON object", field="document")
    if document.get("format") != FORMAT:
        raise RuleViolation(f"{prefix}format must be {FORMAT!r}", field="format")
    unknown = sorted(set(document) - set(SECTIONS) - {"format", "exported_at"})
    for key in unknown:
        problems.add(f"{prefix}{key}", key, "unknown section")
    sections: dict[str, list] = {}
    for name in SECTIONS:
        value = document.get(name, [])
        if not isinstance(value, list):
            problems.add(f"{prefix}{name}", name, "expected a list")
            value = []
        sections[name] = value

    from .records import to_record

    def build(name: str, cls: type, nested: dict[str, type] | None = None) -> list:
        out = [
            to_record(cls, item, f"{prefix}{name}[{i}]", problems, nested=nested)
            for i, item in enumerate(sections[name])
        ]
        return [r for r in out if r is not None]

    pool = _pool_records(sections["people"], prefix, problems)
    sections["people"] = [
        {k: v for k, v in item.items() if k not in POOL_KEYS} if isinstance(item, dict) else item
        for item in sections["people"]
    ]
    people = build("people", PersonRecord)
    units = build("org_units", OrgUnitRecord)
    teams = build("teams", TeamRecord, {"members": MemberRecord})
    services = build("services", ServiceRecord, {"ownership": OwnershipRecord})
    interfaces = build("interfaces", InterfaceRecord)
    datastores = build("datastores", DatastoreRecord)
    dependencies = build("dependencies", DependencyRecord)
    # Every phase runs even when an earlier one found problems, so one run reports them all (issue 8).
    with transaction.atomic():
        report = org_services.import_org(
            actor=actor, people=people, org_units=units, teams=teams, prune=prune, problems=problems
        )
        report.merge(
            catalog_services.import_catalog(
                actor=actor,
                services=services,
                interfaces=interfaces,
                datastores=datastores,
                dependencies=dependencies,
                prune=prune,
                problems=problems,
                teams_in_input=frozenset(str(t.slug).lower() for t in teams),
            )
        )
        # The pool names people by handle, so it comes after them (it checks only its own values if anything failed).
        report.merge(bar_raisers_services.import_pool(actor=actor, records=pool, problems=problems))
        problems.raise_if_any()
    return report


def _pool_records(people: list, prefix: str, problems: Problems) -> list[PoolRecord]:
    """Each person's pool keys as a pool record, every problem located: a null date takes the person out of the
    pool (made inactive), a missing key leaves their membership as it is."""
    records = []
    for i, item in enumerate(people):
        if not isinstance(item, dict) or not isinstance(item.get("handle"), str) or "bar_raiser_since" not in item:
            continue  # the person's own record reports a bad one; without the key the pool is left as it is
        source = f"{prefix}people[{i}]"
        since, capacity = item.get("bar_raiser_since"), item.get("bar_raiser_capacity", 0)
        trained_on = None
        if since is not None:
            try:
                trained_on = dt.date.fromisoformat(since)
            except (TypeError, ValueError):
                problems.add(source, "bar_raiser_since", "expected a date YYYY-MM-DD")
                continue
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            problems.add(source, "bar_raiser_capacity", "expected a whole number")
            continue
        records.append(PoolRecord(handle=item["handle"], trained_on=trained_on, capacity=capacity, source=source))
    return records

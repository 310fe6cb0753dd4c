"""Backstage catalog files in and out of the server (issue 3, item 2), keyed by entity reference.

Import reads descriptor files with the same reader and annotation mapping as the offline `mech check`
(interop.backstage + interop.offline), turns the facts into the org's and catalog's import records, and imports
them in one transaction: idempotent (re-importing updates in place), all or nothing, every problem located by
file, line, entity and field. Export writes the server's org and catalog back as Backstage YAML that this
import reads back to the same catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import PoolRecord
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import DatastoreRecord, DependencyRecord, InterfaceRecord, ServiceRecord
from mechanisms.interop import backstage, offline
from mechanisms.interop.backstage import Unresolved
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.importing import ImportFailed, ImportProblem, ImportReport, Problems
from mechanisms.mandate.contracts import UnresolvedDefinition
from mechanisms.org import services as org_services
from mechanisms.org.contracts import MemberRecord, OrgUnitRecord, PersonRecord, TeamRecord

IMPORTED_UNIT = "backstage-imported"
LIFECYCLES = ("experimental", "production", "deprecated", "retired")
API_TYPES = {"openapi": "openapi", "asyncapi": "asyncapi", "graphql": "graphql", "grpc": "grpc"}
RESOURCE_TYPES = {
    "database": "database",
    "db": "database",
    "s3-bucket": "bucket",
    "bucket": "bucket",
    "queue": "queue",
    "topic": "topic",
    "kafka-topic": "topic",
    "cache": "cache",
    "redis": "cache",
}


def _name(ref: str | None) -> str | None:
    """The server keeps one namespace: `component:default/checkout-api` -> `checkout-api`, and another namespace
    becomes a prefix, `user:development/guest` -> `development.guest` (a valid name of its own)."""
    if not ref:
        return None
    namespace, _, name = ref.partition(":")[2].rpartition("/")
    return name if namespace in ("", "default") else f"{namespace}.{name}"


def load_records(paths: list[str]) -> dict[str, list]:
    """Read Backstage files into import records; raises ImportFailed with every located problem."""
    result = backstage.load_paths(paths)
    problems = [
        ImportProblem(f"{e.file}:{e.line}" if e.line else (e.file or "<input>"), e.field, e.message, e.entity)
        for e in result.errors
    ]
    if problems:
        raise ImportFailed(problems)
    catalog = offline.build_snapshot(result)
    problems = [
        ImportProblem(f"{e.file}:{e.line}" if e.line else (e.file or "<input>"), e.field, e.message, e.entity)
        for e in catalog.errors
    ]
    if problems:
        raise ImportFailed(problems)
    snap, entities = catalog.snapshot, catalog.entities
    found = Problems()

    def where(ref: str) -> str:
        e = entities.get(ref)
        return f"{e.file}:{e.line}" if e else ref

    people = []
    pool = []
    emails: set[str] = set()
    for p in snap.people:
        e = entities[p.ref]
        profile = e.spec.get("profile") if isinstance(e.spec.get("profile"), dict) else {}
        # Backstage requires no email, nor a unique one; the server does, so a missing or repeated one becomes a
        # placeholder in the reserved .invalid domain (docs/backstage-mapping.md).
        email = str(profile.get("email") or "").lower()
        if not email or email in emails:
            email = f"{_name(p.ref)}@users.backstage.invalid"
        emails.add(email)
        people.append(
            PersonRecord(
                handle=_name(p.ref),
                name=profile.get("displayName") or e.metadata.get("title") or _name(p.ref),
                email=email,
                manager=_name(p.manager),
                title=e.metadata.get("description", "")[:200] if isinstance(e.metadata.get("description"), str) else "",
                source=where(p.ref),
            )
        )
        # The bar-raiser annotations go to the pool (bar_raisers); without a capacity, the pool's default of 2.
        capacity = p.bar_raiser_capacity if p.bar_raiser_capacity is not None else 2
        pool.append(PoolRecord(_name(p.ref), p.bar_raiser_since, capacity, source=where(p.ref)))
    units = [
        OrgUnitRecord(
            slug=_name(u.ref),
            name=_display(entities[u.ref]),
            kind=_unit_kind(entities[u.ref]),
            parent=_name(u.parent),
            source=where(u.ref),
        )
        for u in snap.org_units
    ]
    unit_refs = {u.ref for u in snap.org_units}
    needs_home = any(t.org_unit not in unit_refs for t in snap.teams)
    if needs_home and not any(u.slug == IMPORTED_UNIT for u in units):
        units.append(OrgUnitRecord(slug=IMPORTED_UNIT, name="Imported from Backstage", kind="org", source="import"))
    teams = [
        TeamRecord(
            slug=_name(t.ref),
            name=_display(entities[t.ref]),
            org_unit=_name(t.org_unit) if t.org_unit in unit_refs else IMPORTED_UNIT,
            charter=entities[t.ref].metadata.get("description") or "",
            status=t.status,
            leader=_name(t.leader) if t.leader in {p.ref for p in snap.people} else None,
            members=tuple(MemberRecord(person=_name(m)) for m in t.members if m.startswith("user:")),
            source=where(t.ref),
        )
        for t in snap.teams
    ]
    # A service owned by a dissolved team, a person or a department is kept, with its owner as written, so the
    # mandate checks flag it (catalog/unowned-service) rather than the import refusing reality.
    team_refs = {t.ref for t in snap.teams if t.status != "dissolved"}
    services = []
    for s in snap.services:
        e = entities[s.ref]
        lifecycle = s.lifecycle if s.lifecycle in LIFECYCLES else "experimental"
        owner_is_team = s.owner in team_refs
        services.append(
            ServiceRecord(
                name=_name(s.ref),
                owner_team=_name(s.owner) if owner_is_team else None,
                owner_ref="" if owner_is_team else (s.owner or "unknown"),
                title=e.metadata.get("title") or "",
                description=e.metadata.get("description") or "",
                lifecycle=lifecycle,
                kind=(s.type or "service")[:32],
                repository=_repository(e),
                source=where(s.ref),
            )
        )
    interfaces = []
    for i in snap.interfaces:
        e = entities[i.ref]
        if not i.providers:
            found.add(
                where(i.ref),
                "providesApis",
                "no component provides this API (list it in a Component's spec.providesApis)",
                entity=i.ref,
            )
            continue
        definition = i.definition
        if isinstance(definition, UnresolvedDefinition | Unresolved):
            definition = f"$text: {definition.url}"
        interfaces.append(
            InterfaceRecord(
                name=_name(i.ref),
                service=_name(i.providers[0]),
                type=API_TYPES.get((i.type or "").lower(), "other"),
                api_version=(i.version or "")[:64],
                description=i.description or "",
                definition=definition or "",
                auth_scheme=(i.auth or "")[:200],
                lifecycle=e.spec.get("lifecycle") if e.spec.get("lifecycle") in LIFECYCLES else "experimental",
                source=where(i.ref),
            )
        )
    datastores = [
        DatastoreRecord(
            name=_name(d.ref),
            owner_service=_name(d.owner_service),
            type=RESOURCE_TYPES.get(str(entities[d.ref].spec.get("type", "")).lower(), "other"),
            description=entities[d.ref].metadata.get("description") or "",
            source=where(d.ref),
        )
        for d in snap.datastores
    ]
    known = {s.ref for s in snap.services} | {i.ref for i in snap.interfaces} | {d.ref for d in snap.datastores}
    edges = [
        DependencyRecord(service=_name(e.source), kind=e.kind, target=_name(e.target), source=where(e.source))
        for e in snap.edges
        if e.source in known and e.target in known and e.kind in ("consumes", "accesses", "links")
    ]
    found.raise_if_any()
    return {
        "people": people,
        "pool": pool,
        "org_units": units,
        "teams": teams,
        "services": services,
        "interfaces": interfaces,
        "datastores": datastores,
        "dependencies": edges,
        "skipped_kinds": result.skipped_kinds,
    }


def import_backstage(*, actor: Actor, paths: list[str], prune: bool = False) -> ImportReport:
    """Import Backstage descriptor files: all or nothing, idempotent, entities gone from the source reported
    (and removed only with `prune`). Admin only."""
    org_services.require_admin(actor, "import a Backstage catalog")
    records = load_records(paths)
    problems = Problems()
    with transaction.atomic():
        report = org_services.import_org(
            actor=actor,
            people=records["people"],
            org_units=records["org_units"],
            teams=records["teams"],
            prune=prune,
            problems=problems,
        )
        report.merge(
            catalog_services.import_catalog(
                actor=actor,
                services=records["services"],
                interfaces=records["interfaces"],
                datastores=records["datastores"],
                dependencies=records["dependencies"],
                prune=prune,
                problems=problems,
                teams_in_input=frozenset(str(t.slug).lower() for t in records["teams"]),
            )
        )
        report.merge(bar_raisers_services.import_pool(actor=actor, records=records["pool"], problems=problems))
        problems.raise_if_any()
    report.missing["skipped_kinds"] = records["skipped_kinds"]
    return report


def export_backstage(*, folder: Path) -> list[Path]:
    """Write the org and catalog as Backstage YAML (one file per kind); `import_backstage` reads it back."""
    from mechanisms.workflows.catalog_io import export_everything

    doc = export_everything()
    folder.mkdir(parents=True, exist_ok=True)
    members: dict[str, list[str]] = {}
    for team in doc["teams"]:
        for m in team["members"]:
            members.setdefault(m["person"], []).append(team["slug"])
    provides: dict[str, list[str]] = {}
    for i in doc["interfaces"]:
        provides.setdefault(i["service"], []).append(i["name"])
    deps: dict[str, dict[str, list[str]]] = {}
    for d in doc["dependencies"]:
        bucket = deps.setdefault(d["service"], {"consumesApis": [], "dependsOn": []})
        if d["kind"] == "consumes":
            bucket["consumesApis"].append(f"api:{d['target']}")
        else:
            bucket["dependsOn"].append(f"{'resource' if d['kind'] == 'accesses' else 'component'}:{d['target']}")
    groups = [
        _entity(
            "Group",
            u["slug"],
            {"title": u["name"]},
            {
                "type": u["kind"],
                "parent": u["parent"],
                "children": [],
                "profile": {"displayName": u["name"]},
            },
            annotations={},
        )
        for u in doc["org_units"]
    ]
    for g in groups:
        if g["spec"]["parent"] is None:
            del g["spec"]["parent"]
    for t in doc["teams"]:
        annotations = {"mechanisms.dev/status": t["status"]}
        if t["leader"]:
            annotations["mechanisms.dev/leader"] = f"user:{t['leader']}"
        groups.append(
            _entity(
                "Group",
                t["slug"],
                {"title": t["name"], "description": t["charter"]},
                {
                    "type": "team",
                    "parent": t["org_unit"],
                    "children": [],
                    "profile": {"displayName": t["name"]},
                },
                annotations=annotations,
            )
        )
    users = []
    for p in doc["people"]:
        annotations = {}
        if p["manager"]:
            annotations["mechanisms.dev/manager"] = f"user:{p['manager']}"
        if p["bar_raiser_since"]:
            annotations["mechanisms.dev/bar-raiser-since"] = p["bar_raiser_since"]
            annotations["mechanisms.dev/bar-raiser-capacity"] = str(p["bar_raiser_capacity"])
        users.append(
            _entity(
                "User",
                p["handle"],
                {"description": p["title"]} if p["title"] else {},
                {
                    "profile": {"displayName": p["name"], "email": p["email"]},
                    "memberOf": members.get(p["handle"], []),
                },
                annotations=annotations,
            )
        )
    components = []
    for s in doc["services"]:
        spec = {
            "type": s["kind"],
            "lifecycle": s["lifecycle"],
            "owner": f"group:{s['owner_team']}" if s["owner_team"] else s["owner_ref"],
            "providesApis": provides.get(s["name"], []),
            **deps.get(s["name"], {}),
        }
        meta = {"title": s["title"], "description": s["description"]}
        annotations = {"backstage.io/source-location": f"url:{s['repository']}"} if s["repository"] else {}
        components.append(
            _entity("Component", s["name"], meta, {k: v for k, v in spec.items() if v != []}, annotations=annotations)
        )
    owners = {s["name"]: s["owner_team"] or s["owner_ref"] for s in doc["services"]}
    apis = [
        _entity(
            "API",
            i["name"],
            {"description": i["description"]},
            {
                "type": i["type"],
                "lifecycle": i["lifecycle"],
                "owner": _group(owners.get(i["service"])),
                "definition": i["definition"] or "(none)",
            },
            annotations={
                k: v
                for k, v in {
                    "mechanisms.dev/version": i["api_version"],
                    "mechanisms.dev/auth": i["auth_scheme"],
                }.items()
                if v
            },
        )
        for i in doc["interfaces"]
    ]
    resources = [
        _entity(
            "Resource",
            d["name"],
            {"description": d["description"]},
            {
                "type": d["type"],
                "owner": _group(owners.get(d["owner_service"])) if d["owner_service"] else "group:unknown",
            },
            annotations={"mechanisms.dev/owner-service": f"component:{d['owner_service']}"}
            if d["owner_service"]
            else {},
        )
        for d in doc["datastores"]
    ]
    written = []
    for filename, entities in (
        ("groups.yaml", groups),
        ("users.yaml", users),
        ("components.yaml", components),
        ("apis.yaml", apis),
        ("resources.yaml", resources),
    ):
        path = folder / filename
        path.write_text(yaml.safe_dump_all(entities, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
        written.append(path)
    return written


def _group(owner: str | None) -> str:
    if not owner:
        return "group:unknown"
    return owner if ":" in owner else f"group:{owner}"


def _entity(kind: str, name: str, metadata: dict[str, Any], spec: dict[str, Any], *, annotations: dict) -> dict:
    meta = {"name": name, **{k: v for k, v in metadata.items() if v}}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": meta, "spec": spec}


def _display(entity) -> str:
    profile = entity.spec.get("profile") if isinstance(entity.spec.get("profile"), dict) else {}
    return (profile.get("displayName") or entity.metadata.get("title") or entity.name)[:200]


def _unit_kind(entity) -> str:
    kind = str(entity.spec.get("type", "")).lower()
    return {"organization": "company", "company": "company", "division": "division", "department": "division"}.get(
        kind, "org"
    )


def _repository(entity) -> str:
    location = entity.annotations.get("backstage.io/source-location", "")
    url = location[4:] if location.startswith("url:") else ""
    return url.rstrip("/")[:500] if url.startswith(("http://", "https://")) else ""

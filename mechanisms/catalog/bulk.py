"""Private: all-or-nothing bulk import and export of the catalog, keyed by names (teams by slug).

The whole input is validated first and every problem reported with its location; then everything is written
in bulk statements with one audit record per created, changed or removed record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.importing import ImportReport, Problems, chunks, import_change
from mechanisms.org import services as org_services

from . import validation
from .contracts import (
    CatalogExport,
    DatastoreRecord,
    DependencyRecord,
    InterfaceRecord,
    OwnershipRecord,
    ServiceRecord,
)
from .models import Datastore, Dependency, Interface, OwnershipPeriod, Service

SERVICE_FIELDS = ("title", "description", "lifecycle", "kind", "tier", "repository", "on_call", "owner_ref")
INTERFACE_FIELDS = (
    "type",
    "api_version",
    "description",
    "definition",
    "docs_url",
    "auth_scheme",
    "visibility",
    "lifecycle",
)


def import_catalog(
    *,
    actor: Actor,
    services: list[ServiceRecord],
    interfaces: list[InterfaceRecord],
    datastores: list[DatastoreRecord],
    dependencies: list[DependencyRecord],
    prune: bool = False,
    problems: Problems | None = None,
    teams_in_input: frozenset[str] = frozenset(),
) -> ImportReport:
    """Create or update services, interfaces, datastores; the edges of each imported service become exactly
    the input's. What the database has and the input lacks is reported, and removed only with `prune`.
    `teams_in_input`: slugs the same import's org phase brings; known here even when that phase wrote nothing."""
    # A caller passing `problems` runs its later phases too and raises every problem together; with any problem
    # (this phase's or an earlier one's) nothing is written.
    own_problems = problems is None
    problems = problems if problems is not None else Problems()
    report = ImportReport()
    with transaction.atomic():
        teams: dict[str, int | None] = {slug: None for slug in teams_in_input}
        teams.update(org_services.team_ids_by_slug(actor=actor))
        live = set(org_services.team_ids_by_slug(actor=actor, live_only=True).values())
        existing_services = {s.name: s for s in Service.objects.all()}
        existing_interfaces = {i.name: i for i in Interface.objects.all()}
        existing_datastores = {d.name: d for d in Datastore.objects.all()}

        svc = _validate_services(services, teams, live, problems)
        service_names = set(svc) | set(existing_services)
        itf = _validate_named(
            interfaces,
            "interface",
            problems,
            validation.clean_interface,
            INTERFACE_FIELDS + ("name",),
            ref=("service", service_names, True),
        )
        dst = _validate_named(
            datastores,
            "datastore",
            problems,
            validation.clean_datastore,
            ("name", "type", "description"),
            ref=("owner_service", service_names, False),
        )
        edges = _validate_edges(
            dependencies,
            service_names,
            set(itf) | set(existing_interfaces),
            set(dst) | set(existing_datastores),
            problems,
        )
        if own_problems:
            problems.raise_if_any()
        if problems.items:
            return report

        changes: list[dict[str, Any]] = []
        service_ids = _write_services(svc, existing_services, teams, report, changes)
        interface_ids = _write_named(
            Interface,
            "interface",
            itf,
            existing_interfaces,
            INTERFACE_FIELDS,
            "service_id",
            lambda v: service_ids[v["service"]],
            report,
            changes,
        )
        datastore_ids = _write_named(
            Datastore,
            "datastore",
            dst,
            existing_datastores,
            ("type", "description"),
            "owner_service_id",
            lambda v: service_ids[v["owner_service"]] if v["owner_service"] else None,
            report,
            changes,
        )
        _write_edges(edges, list(svc), service_ids, interface_ids, datastore_ids, report, changes)
        report.missing["service"] = sorted(
            n for n, s in existing_services.items() if n not in svc and s.lifecycle != "retired"
        )
        report.missing["interface"] = sorted(n for n in existing_interfaces if n not in itf)
        report.missing["datastore"] = sorted(n for n in existing_datastores if n not in dst)
        if prune:
            _prune(report, changes)
        audit_services.record_changes(actor=actor, changes=changes)
    return report


# ------------------------------------------------------------------------------------------------ validation


def _validate_services(records, teams, live, problems: Problems) -> dict[str, dict[str, Any]]:
    clean: dict[str, dict[str, Any]] = {}
    for rec in records:
        entity = f"service {rec.name}"
        try:
            values = validation.clean_service(
                name=rec.name,
                title=rec.title,
                description=rec.description,
                lifecycle=rec.lifecycle,
                kind=rec.kind,
                tier=rec.tier,
                repository=rec.repository,
                on_call=rec.on_call,
            )
        except RuleViolation as exc:
            problems.add(rec.source, exc.field, exc.message, entity=entity)
            continue
        if values["name"] in clean:
            problems.add(rec.source, "name", f"duplicate service {values['name']!r} in the input", entity=entity)
            continue
        owner = (rec.owner_team or "").lower() or None
        if owner is None and not rec.owner_ref:
            problems.add(
                rec.source, "owner_team", "a service needs an owner team (or, imported, an owner_ref)", entity=entity
            )
        elif owner is None:
            pass  # owned by something that is not a team: kept as owner_ref, flagged by the mandate checks
        elif owner not in teams:
            problems.add(rec.source, "owner_team", f"unknown team {rec.owner_team!r}", entity=entity)
        elif teams[owner] is not None and teams[owner] not in live and values["lifecycle"] != "retired":
            problems.add(rec.source, "owner_team", f"team {owner} is dissolved", entity=entity)
        for period in rec.ownership:
            if period.team.lower() not in teams:
                problems.add(rec.source, "ownership", f"unknown team {period.team!r}", entity=entity)
        values.update(
            owner_team=owner,
            owner_ref=(rec.owner_ref or "")[:300] if owner is None else "",
            ownership=rec.ownership,
            source=rec.source,
        )
        clean[values["name"]] = values
    return clean


def _validate_named(records, kind: str, problems: Problems, cleaner, fields, ref) -> dict[str, dict[str, Any]]:
    ref_field, known, required = ref
    clean: dict[str, dict[str, Any]] = {}
    for rec in records:
        entity = f"{kind} {rec.name}"
        try:
            values = cleaner(**{f: getattr(rec, f) for f in fields})
        except RuleViolation as exc:
            problems.add(rec.source, exc.field, exc.message, entity=entity)
            continue
        if values["name"] in clean:
            problems.add(rec.source, "name", f"duplicate {kind} {values['name']!r} in the input", entity=entity)
            continue
        target = (getattr(rec, ref_field) or "").lower() or None
        if target is None and required:
            problems.add(rec.source, ref_field, f"{ref_field} is required", entity=entity)
        elif target is not None and target not in known:
            problems.add(rec.source, ref_field, f"unknown service {target!r}", entity=entity)
        values[ref_field] = target
        values["source"] = rec.source
        clean[values["name"]] = values
    return clean


def _validate_edges(records, services, interfaces, datastores, problems: Problems) -> list[dict[str, Any]]:
    targets = {
        "consumes": (interfaces, "interface"),
        "accesses": (datastores, "datastore"),
        "links": (services, "service"),
    }
    seen: set[tuple[str, str, str]] = set()
    clean = []
    for rec in records:
        source_service = (rec.service or "").lower()
        entity = f"service {source_service}"
        if rec.kind not in targets:
            problems.add(rec.source, "kind", "kind must be one of consumes, accesses, links", entity=entity)
            continue
        if source_service not in services:
            problems.add(rec.source, "service", f"unknown service {rec.service!r}", entity=entity)
            continue
        known, what = targets[rec.kind]
        target = (rec.target or "").lower()
        if target not in known:
            problems.add(rec.source, "target", f"unknown {what} {rec.target!r}", entity=entity)
            continue
        if rec.kind == "links" and target == source_service:
            problems.add(rec.source, "target", "a service does not link itself", entity=entity)
            continue
        access = rec.access or ("read-write" if rec.kind == "accesses" else "")
        if rec.kind == "accesses" and access not in ("read", "write", "read-write"):
            problems.add(rec.source, "access", "access must be read, write or read-write", entity=entity)
            continue
        key = (source_service, rec.kind, target)
        if key in seen:
            continue  # the same edge said twice (e.g. Backstage dependsOn and a relation) is one edge
        seen.add(key)
        clean.append(
            {
                "service": source_service,
                "kind": rec.kind,
                "target": target,
                "access": access if rec.kind == "accesses" else "",
                "description": rec.description or "",
            }
        )
    return clean


# ------------------------------------------------------------------------------------------------ writing


def _write_services(clean, existing, teams, report: ImportReport, changes) -> dict[str, int]:
    now = clock.now()
    new_rows, changed, transfers = [], [], []
    for name, v in clean.items():
        row = existing.get(name)
        fields = {f: v[f] for f in SERVICE_FIELDS}
        owner_id = teams[v["owner_team"]] if v["owner_team"] else None
        if row is None:
            new_rows.append(Service(name=name, owner_team_id=owner_id, **fields))
            continue
        before = _service_dict(row)
        dirty = any(getattr(row, f) != fields[f] for f in SERVICE_FIELDS)
        if row.owner_team_id != owner_id:
            transfers.append((row.id, owner_id))
            row.owner_team_id = owner_id
            dirty = True
        if dirty:
            for f, value in fields.items():
                setattr(row, f, value)
            row.version += 1
            changed.append((row, before))
    Service.objects.bulk_create(new_rows, batch_size=1000)
    Service.objects.bulk_update([r for r, _ in changed], [*SERVICE_FIELDS, "owner_team_id", "version"], batch_size=1000)
    ids = dict(Service.objects.values_list("name", "id"))
    periods = []
    for s in new_rows:
        s.id = ids[s.name]
        history = clean[s.name]["ownership"]
        if history:
            periods.extend(
                OwnershipPeriod(
                    service_id=s.id,
                    team_id=teams[p.team.lower()],
                    started_at=p.started_at,
                    ended_at=p.ended_at,
                    reason=p.reason,
                )
                for p in history
            )
        elif s.owner_team_id is not None:
            periods.append(OwnershipPeriod(service_id=s.id, team_id=s.owner_team_id, started_at=now, reason="imported"))
        changes.append(import_change("create", "service", s.id, s.name, None, _service_dict(s)))
    for service_id, team_id in transfers:
        OwnershipPeriod.objects.filter(service_id=service_id, ended_at__isnull=True).update(ended_at=now)
        if team_id is not None:
            periods.append(OwnershipPeriod(service_id=service_id, team_id=team_id, started_at=now, reason="import"))
    OwnershipPeriod.objects.bulk_create(periods, batch_size=2000)
    for row, before in changed:
        verb = "transfer" if before["owner_team_id"] != row.owner_team_id else "update"
        changes.append(import_change(verb, "service", row.id, row.name, before, _service_dict(row)))
    report.count(
        "service", created=len(new_rows), updated=len(changed), unchanged=len(clean) - len(new_rows) - len(changed)
    )
    return ids


def _write_named(model, kind, clean, existing, fields, ref_attr, ref_value, report: ImportReport, changes):
    new_rows, changed = [], []
    for name, v in clean.items():
        row = existing.get(name)
        values = {f: v[f] for f in fields}
        values[ref_attr] = ref_value(v)
        if row is None:
            new_rows.append(model(name=name, **values))
        elif any(getattr(row, f) != value for f, value in values.items()):
            before = _row_dict(row, fields, ref_attr)
            for f, value in values.items():
                setattr(row, f, value)
            row.version += 1
            changed.append((row, before))
    model.objects.bulk_create(new_rows, batch_size=1000)
    model.objects.bulk_update([r for r, _ in changed], [*fields, ref_attr, "version"], batch_size=1000)
    ids = dict(model.objects.values_list("name", "id"))
    for r in new_rows:
        r.id = ids[r.name]
        changes.append(import_change("create", kind, r.id, r.name, None, _row_dict(r, fields, ref_attr)))
    for row, before in changed:
        changes.append(import_change("update", kind, row.id, row.name, before, _row_dict(row, fields, ref_attr)))
    report.count(kind, created=len(new_rows), updated=len(changed), unchanged=len(clean) - len(new_rows) - len(changed))
    return ids


def _write_edges(edges, imported_services, service_ids, interface_ids, datastore_ids, report, changes) -> None:
    ids = [service_ids[n] for n in imported_services]
    current: dict[tuple, Dependency] = {}
    for chunk in chunks(ids, 500):
        for d in Dependency.objects.filter(service_id__in=chunk):
            target = d.interface_id or d.datastore_id or d.target_service_id
            current[(d.service_id, d.kind, target)] = d
    wanted: dict[tuple, dict[str, Any]] = {}
    for e in edges:
        target_id = {"consumes": interface_ids, "accesses": datastore_ids, "links": service_ids}[e["kind"]][e["target"]]
        wanted[(service_ids[e["service"]], e["kind"], target_id)] = e
    add, update = [], []
    for key, e in wanted.items():
        service_id, kind, target_id = key
        row = current.get(key)
        if row is None:
            add.append(
                Dependency(
                    service_id=service_id,
                    kind=kind,
                    access=e["access"],
                    description=e["description"],
                    interface_id=target_id if kind == "consumes" else None,
                    datastore_id=target_id if kind == "accesses" else None,
                    target_service_id=target_id if kind == "links" else None,
                )
            )
        elif row.access != e["access"] or row.description != e["description"]:
            row.access, row.description = e["access"], e["description"]
            row.version += 1
            update.append(row)
    drop = [d for key, d in current.items() if key not in wanted]
    Dependency.objects.bulk_create(add, batch_size=2000)
    Dependency.objects.bulk_update(update, ["access", "description", "version"], batch_size=2000)
    for chunk in chunks([d.id for d in drop], 500):
        Dependency.objects.filter(id__in=chunk).delete()
    for d in add:
        changes.append(import_change("create", "dependency", d.service_id, "", None, _edge_dict(d)))
    for d in update:
        changes.append(import_change("update", "dependency", d.id, "", None, _edge_dict(d)))
    for d in drop:
        changes.append(import_change("delete", "dependency", d.id, "", _edge_dict(d), None))
    report.count("dependency", created=len(add), updated=len(update), unchanged=len(wanted) - len(add) - len(update))
    report.removed["dependency"] = report.removed.get("dependency", 0) + len(drop)


def _prune(report: ImportReport, changes) -> None:
    """Retire services the source no longer has; delete its missing interfaces (and their consumers' edges)
    and datastores. Retiring, not deleting, services keeps their history."""
    gone = report.missing.get("service", [])
    for chunk in chunks(gone, 500):
        rows = list(Service.objects.filter(name__in=chunk))
        Service.objects.filter(name__in=chunk).update(lifecycle="retired")
        for r in rows:
            changes.append(
                import_change("retire", "service", r.id, r.name, {"lifecycle": r.lifecycle}, {"lifecycle": "retired"})
            )
    report.removed["service"] = len(gone)
    for model, kind in ((Interface, "interface"), (Datastore, "datastore")):
        names = report.missing.get(kind, [])
        for chunk in chunks(names, 500):
            for r in model.objects.filter(name__in=chunk):
                changes.append(import_change("delete", kind, r.id, r.name, {"name": r.name}, None))
            model.objects.filter(name__in=chunk).delete()
        report.removed[kind] = len(names)


# ------------------------------------------------------------------------------------------------ export


def export_catalog(*, team_ids: Iterable[int] | None = None) -> CatalogExport:
    """The whole catalog by names and team slugs, in a stable order (import_catalog reads it back).

    With `team_ids`, the neighbourhood of those teams instead: their services, every edge from or into them, the
    services, interfaces and datastores on the other end of those edges, and the interfaces and datastores of
    every service included; no ownership history. It holds every fact the mandate rules read about those teams'
    services, so an incremental evaluation reads tens of rows, not the catalog."""
    slugs = {i: s for s, i in org_services.team_ids_by_slug(actor=Actor.system("catalog")).items()}
    names = dict(Service.objects.values_list("id", "name"))
    service_qs, interface_qs, datastore_qs = Service.objects.all(), Interface.objects.all(), Datastore.objects.all()
    dependency_qs = Dependency.objects.all()
    history: dict[int, list[OwnershipRecord]] = {}
    if team_ids is not None:
        core = set(Service.objects.filter(owner_team_id__in=list(set(team_ids))).values_list("id", flat=True))
        dependency_qs = Dependency.objects.filter(
            Q(service_id__in=core)
            | Q(target_service_id__in=core)
            | Q(interface__service_id__in=core)
            | Q(datastore__owner_service_id__in=core)
        )
        ends = dependency_qs.values_list(
            "service_id", "target_service_id", "interface__service_id", "datastore__owner_service_id", "datastore_id"
        )
        included, stores = set(core), set()
        for row in ends:
            included.update(i for i in row[:4] if i is not None)
            if row[4] is not None:
                stores.add(row[4])
        service_qs = Service.objects.filter(pk__in=included)
        interface_qs = Interface.objects.filter(service_id__in=included)
        datastore_qs = Datastore.objects.filter(Q(owner_service_id__in=included) | Q(pk__in=stores))
    else:
        for p in OwnershipPeriod.objects.order_by("service_id", "started_at", "id"):
            history.setdefault(p.service_id, []).append(
                OwnershipRecord(slugs.get(p.team_id), p.started_at, p.ended_at, p.reason)
            )
    services = tuple(
        ServiceRecord(
            name=s.name,
            owner_team=slugs.get(s.owner_team_id),
            **{f: getattr(s, f) for f in SERVICE_FIELDS},
            ownership=tuple(history.get(s.id, ())),
        )
        for s in service_qs.order_by("name")
    )
    interfaces = tuple(
        InterfaceRecord(name=i.name, service=names[i.service_id], **{f: getattr(i, f) for f in INTERFACE_FIELDS})
        for i in interface_qs.order_by("name")
    )
    datastores = tuple(
        DatastoreRecord(d.name, names.get(d.owner_service_id), d.type, d.description)
        for d in datastore_qs.order_by("name")
    )
    interface_names = dict(Interface.objects.values_list("id", "name"))
    datastore_names = dict(Datastore.objects.values_list("id", "name"))

    def target_name(d: Dependency) -> str | None:
        return (
            interface_names.get(d.interface_id) or datastore_names.get(d.datastore_id) or names.get(d.target_service_id)
        )

    dependencies = tuple(
        DependencyRecord(names[d.service_id], d.kind, target_name(d), d.access, d.description)
        for d in dependency_qs.order_by("service__name", "kind", "id")
    )
    return CatalogExport(services=services, interfaces=interfaces, datastores=datastores, dependencies=dependencies)


def teams_around(service_ids: Iterable[int]) -> set[int]:
    """The owning teams of some services and of every service with an edge to or from them: the teams whose
    mandate findings a change to those services can alter."""
    ids = list(set(service_ids))
    if not ids:
        return set()
    edges = Dependency.objects.filter(
        Q(service_id__in=ids)
        | Q(target_service_id__in=ids)
        | Q(interface__service_id__in=ids)
        | Q(datastore__owner_service_id__in=ids)
    ).values_list("service_id", "target_service_id", "interface__service_id", "datastore__owner_service_id")
    around = set(ids)
    for row in edges:
        around.update(i for i in row if i is not None)
    return {t for t in Service.objects.filter(pk__in=around).values_list("owner_team_id", flat=True) if t is not None}


# ------------------------------------------------------------------------------------------------ helpers


def _service_dict(s: Service) -> dict[str, Any]:
    return {"name": s.name, "owner_team_id": s.owner_team_id, **{f: getattr(s, f) for f in SERVICE_FIELDS}}


def _row_dict(r, fields, ref_attr) -> dict[str, Any]:
    out = {"name": r.name, ref_attr: getattr(r, ref_attr)}
    for f in fields:
        value = getattr(r, f)
        out[f] = value[:2000] if isinstance(value, str) else value
    return out


def _edge_dict(d: Dependency) -> dict[str, Any]:
    return {
        "service_id": d.service_id,
        "kind": d.kind,
        "interface_id": d.interface_id,
        "datastore_id": d.datastore_id,
        "target_service_id": d.target_service_id,
        "access": d.access,
    }

"""Public services of the catalog app (MECHANISMS.md §2): services, interfaces, datastores, dependencies and
ownership transfer. A member may change what their teams own; an admin may change everything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, events
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import field_names, given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.importing import ImportReport, Problems
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.org import services as org_services
from mechanisms.org.contracts import TeamId

from . import bulk as _bulk
from . import policy as _policy
from .contracts import (
    Access,
    CatalogCounts,
    CatalogExport,
    Datastore,
    DatastoreChanges,
    DatastoreId,
    DatastoreRecord,
    DatastoreType,
    Dependency,
    DependencyChanges,
    DependencyId,
    DependencyKind,
    DependencyRecord,
    Interface,
    InterfaceChanges,
    InterfaceId,
    InterfaceRecord,
    InterfaceType,
    Lifecycle,
    OwnershipPeriod,
    Service,
    ServiceChanges,
    ServiceDetail,
    ServiceId,
    ServiceRecord,
    TeamEdge,
    Visibility,
)
from .models import Datastore as DatastoreRow
from .models import Dependency as DependencyRow
from .models import Interface as InterfaceRow
from .models import OwnershipPeriod as OwnershipRow
from .models import Service as ServiceRow
from .validation import clean_choice as _choice
from .validation import clean_datastore, clean_interface, clean_service

SERVICE_KINDS = ("service", "website", "library", "worker", "pipeline", "other")
LIVE_TEAM = ("forming", "active")

# ---------------------------------------------------------------------------------------------- services


def get_service(*, actor: Actor, service_id: int) -> Service:
    _policy.require_visible(actor)
    return _to_service(_require_service_row(service_id))


def find_service(*, actor: Actor, name: str) -> Service | None:
    _policy.require_visible(actor)
    row = ServiceRow.objects.filter(name=name.lower()).first()
    return _to_service(row) if row else None


def get_service_by_name(*, actor: Actor, name: str) -> Service:
    _policy.require_visible(actor)
    service = find_service(actor=actor, name=name)
    if service is None:
        raise NotFound(f"no service named {name!r}", field="name")
    return service


def get_services(*, actor: Actor, ids: Iterable[int]) -> dict[ServiceId, Service]:
    _policy.require_visible(actor)
    wanted = {i for i in ids if i is not None}
    return {ServiceId(r.id): _to_service(r) for r in ServiceRow.objects.filter(pk__in=wanted)} if wanted else {}


def list_services(
    *,
    actor: Actor,
    text: str | None = None,
    team_id: int | None = None,
    team_ids: Iterable[int] | None = None,
    org_unit_id: int | None = None,
    lifecycle: str | None = None,
    tier: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Service]:
    """Services, filtered by text, owner team, org unit (with its sub-units), lifecycle or tier."""
    _policy.require_visible(actor)
    qs = ServiceRow.objects.all().order_by("name")
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(title__icontains=text) | Q(description__icontains=text))
    if team_id is not None:
        qs = qs.filter(owner_team_id=team_id)
    if team_ids is not None:
        qs = qs.filter(owner_team_id__in=list(team_ids))
    if org_unit_id is not None:
        units = org_services.org_unit_descendants(actor=actor, org_unit_id=org_unit_id)
        qs = qs.filter(owner_team_id__in=org_services.team_ids_in_org_units(actor=actor, org_unit_ids=units))
    if lifecycle:
        _choice(lifecycle, Lifecycle, "lifecycle")
        qs = qs.filter(lifecycle=lifecycle)
    if tier is not None:
        qs = qs.filter(tier=tier)
    # Lists are the hot path of the API: plain rows, not model instances (no timestamp conversions we never show).
    return paginate(qs.values_list(*SERVICE_COLUMNS), limit=limit, offset=offset, convert=_service_from_values)


def service_detail(*, actor: Actor, service_id: int) -> ServiceDetail:
    """A service with its interfaces, datastores, outbound and inbound edges, and ownership history."""
    _policy.require_visible(actor)
    row = _require_service_row(service_id)
    interfaces = tuple(_to_interface(i) for i in row.interfaces.all().order_by("name"))
    datastores = tuple(_to_datastore(d) for d in row.datastores.all().order_by("name"))
    deps = tuple(_to_dependency(d) for d in _dependency_qs().filter(service_id=row.pk).order_by("kind", "id"))
    # Inbound edges by the indexed foreign keys of what this service offers (no OR across joins).
    offered = Q(target_service_id=row.pk)
    if interfaces:
        offered |= Q(interface_id__in=[i.id for i in interfaces])
    if datastores:
        offered |= Q(datastore_id__in=[d.id for d in datastores])
    inbound = tuple(
        _to_dependency(d)
        for d in _dependency_qs().filter(offered).exclude(service_id=row.pk).order_by("service__name", "id")
    )
    others = get_services(actor=actor, ids={d.target_owner_service_id for d in deps} | {d.service_id for d in inbound})
    ownership = tuple(
        OwnershipPeriod(o.team_id, o.started_at, o.ended_at, o.reason) for o in row.ownership.order_by("-started_at")
    )
    return ServiceDetail(
        service=_to_service(row),
        interfaces=interfaces,
        datastores=datastores,
        dependencies=deps,
        consumers=inbound,
        consumer_services=tuple(others[d.service_id] for d in inbound if d.service_id in others),
        dependency_services=tuple(
            others[d.target_owner_service_id] for d in deps if d.target_owner_service_id in others
        ),
        ownership=ownership,
    )


def create_service(
    *,
    actor: Actor,
    name: str,
    owner_team_id: TeamId,
    title: str = "",
    description: str = "",
    lifecycle: str = Lifecycle.PRODUCTION.value,
    kind: str = "service",
    tier: int = 3,
    repository: str = "",
    on_call: str = "",
) -> Service:
    """Register a service, owned by exactly one active team (MECHANISMS.md §2). Members of that team or admins."""
    values = clean_service(
        name=name,
        title=title,
        description=description,
        lifecycle=lifecycle,
        kind=kind,
        tier=tier,
        repository=repository,
        on_call=on_call,
    )
    with transaction.atomic():
        _require_owner_team(owner_team_id)
        _policy.require(actor, "change", owner_team_id, what="add services to this team")
        if ServiceRow.objects.filter(name=values["name"]).exists():
            raise Conflict(f"a service named {values['name']!r} already exists", field="name")
        row = _create_unique(ServiceRow, "a service", values, owner_team_id=owner_team_id)
        OwnershipRow.objects.create(service=row, team_id=owner_team_id, started_at=clock.now(), reason="created")
        service = _to_service(row)
        _audit(actor, "create", "service", service, before=None, after=service)
    return service


def update_service(*, actor: Actor, service_id: ServiceId, version: int, changes: ServiceChanges) -> Service:
    """Change a service's name, title, description, lifecycle, kind, tier, repository, on-call (MECHANISMS.md §2).
    Owning team's members or admins. The owner changes only through transfer_service, so history is kept."""
    wanted = given(changes)
    with transaction.atomic():
        row = _require_service_row(service_id)
        org_services.require_team_change(actor=actor, team_id=row.owner_team_id, what="change this service")
        before = _to_service(row)
        values = clean_service(**{f: wanted.get(f, getattr(row, f)) for f in field_names(ServiceChanges)})
        if ServiceRow.objects.filter(name=values["name"]).exclude(pk=row.pk).exists():
            raise Conflict(f"a service named {values['name']!r} already exists", field="name")
        update_versioned(row, expected_version=version, changes=values)
        after = _to_service(row)
        _audit(actor, "update", "service", after, before=before, after=after)
    return after


def retire_service(*, actor: Actor, service_id: ServiceId, version: int, reason: str = "") -> Service:
    """Retire a service (lifecycle `retired`); its record and history stay. Owning team or admin.
    The audit entry says `retire` and keeps the reason."""
    with transaction.atomic():
        row = _require_service_row(service_id)
        _policy.require(actor, "change", row.owner_team_id, what="retire this service")
        before = _to_service(row)
        update_versioned(row, expected_version=version, changes={"lifecycle": Lifecycle.RETIRED.value})
        after = _to_service(row)
        _audit(actor, "retire", "service", after, before=before, after=after, reason=reason)
    return after


def transfer_service(
    *, actor: Actor, service_id: ServiceId, version: int, to_team_id: TeamId, reason: str = ""
) -> Service:
    """Move a service to another active team; the ownership history keeps who owned it when (MECHANISMS.md §1,
    spin-out/transfer). Allowed to the current owning team's members and admins."""
    with transaction.atomic():
        row = _require_service_row(service_id)
        _policy.require(actor, "change", row.owner_team_id, what="transfer this service")
        _require_owner_team(to_team_id, field="to_team_id")
        if to_team_id == row.owner_team_id:
            raise RuleViolation("the service is already owned by that team", field="to_team_id")
        before = _to_service(row)
        now = clock.now()
        update_versioned(row, expected_version=version, changes={"owner_team_id": to_team_id})
        OwnershipRow.objects.filter(service_id=row.pk, ended_at__isnull=True).update(ended_at=now)
        OwnershipRow.objects.create(service_id=row.pk, team_id=to_team_id, started_at=now, reason=reason or "transfer")
        after = _to_service(row)
        _audit(actor, "transfer", "service", after, before=before, after=after, reason=reason)
    return after


def services_owned_by(*, actor: Actor, team_ids: Iterable[int], include_retired: bool = False) -> list[Service]:
    """Every service owned by some teams (a team owns tens, not thousands): for team pages and dissolution."""
    _policy.require_visible(actor)
    qs = ServiceRow.objects.filter(owner_team_id__in=list(team_ids)).order_by("name")
    if not include_retired:
        qs = qs.exclude(lifecycle=Lifecycle.RETIRED.value)
    return [_to_service(r) for r in qs]


def service_owner_counts(*, actor: Actor) -> dict[int, int]:
    """Live services per owning team, in one grouped query."""
    _policy.require_visible(actor)
    from django.db.models import Count

    rows = (
        ServiceRow.objects.exclude(lifecycle=Lifecycle.RETIRED.value)
        .values("owner_team_id")
        .annotate(n=Count("id"))
        .values_list("owner_team_id", "n")
    )
    return dict(rows)


# ---------------------------------------------------------------------------------------------- interfaces


def get_interface(*, actor: Actor, interface_id: int) -> Interface:
    _policy.require_visible(actor)
    row = InterfaceRow.objects.filter(pk=interface_id).first()
    if row is None:
        raise NotFound(f"interface {interface_id} does not exist", field="interface_id")
    return _to_interface(row)


def find_interface(*, actor: Actor, name: str) -> Interface | None:
    _policy.require_visible(actor)
    row = InterfaceRow.objects.filter(name=name.lower()).first()
    return _to_interface(row) if row else None


def list_interfaces(
    *,
    actor: Actor,
    service_id: int | None = None,
    team_id: int | None = None,
    type: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Interface]:
    _policy.require_visible(actor)
    qs = InterfaceRow.objects.all().order_by("name")
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    if team_id is not None:
        qs = qs.filter(service__owner_team_id=team_id)
    if type:
        qs = qs.filter(type=type)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(description__icontains=text))
    return paginate(qs, limit=limit, offset=offset, convert=_to_interface)


def create_interface(
    *,
    actor: Actor,
    service_id: ServiceId,
    name: str,
    type: str = InterfaceType.OPENAPI.value,
    api_version: str = "",
    description: str = "",
    definition: str = "",
    docs_url: str = "",
    auth_scheme: str = "",
    visibility: str = Visibility.INTERNAL.value,
    lifecycle: str = Lifecycle.PRODUCTION.value,
) -> Interface:
    """Add an interface to a service (M1: teams expose data and functionality through interfaces)."""
    values = clean_interface(
        name=name,
        type=type,
        api_version=api_version,
        description=description,
        definition=definition,
        docs_url=docs_url,
        auth_scheme=auth_scheme,
        visibility=visibility,
        lifecycle=lifecycle,
    )
    with transaction.atomic():
        service = _require_service_row(service_id, field="service_id", missing=RuleViolation)
        _policy.require(actor, "change", service.owner_team_id, what="add interfaces here")
        if InterfaceRow.objects.filter(name=values["name"]).exists():
            raise Conflict(f"an interface named {values['name']!r} already exists", field="name")
        row = _create_unique(InterfaceRow, "an interface", values, service=service)
        interface = _to_interface(row)
        _audit(actor, "create", "interface", interface, before=None, after=interface)
    return interface


def update_interface(*, actor: Actor, interface_id: InterfaceId, version: int, changes: InterfaceChanges) -> Interface:
    """Change an interface (MECHANISMS.md §2); its service is fixed. The providing team's members or admins."""
    wanted = given(changes)
    with transaction.atomic():
        row = InterfaceRow.objects.select_related("service").filter(pk=interface_id).first()
        if row is None:
            raise NotFound(f"interface {interface_id} does not exist", field="interface_id")
        org_services.require_team_change(actor=actor, team_id=row.service.owner_team_id, what="change this interface")
        before = _to_interface(row)
        values = clean_interface(**{f: wanted.get(f, getattr(row, f)) for f in field_names(InterfaceChanges)})
        if InterfaceRow.objects.filter(name=values["name"]).exclude(pk=row.pk).exists():
            raise Conflict(f"an interface named {values['name']!r} already exists", field="name")
        update_versioned(row, expected_version=version, changes=values)
        after = _to_interface(row)
        _audit(actor, "update", "interface", after, before=before, after=after)
    return after


def delete_interface(*, actor: Actor, interface_id: InterfaceId, version: int, reason: str = "") -> None:
    """Remove an interface; refused while other services consume it (they would be left with a dangling edge)."""
    with transaction.atomic():
        row = InterfaceRow.objects.select_related("service").filter(pk=interface_id).first()
        if row is None:
            raise NotFound(f"interface {interface_id} does not exist", field="interface_id")
        _policy.require(actor, "change", row.service.owner_team_id, what="remove this interface")
        _require_version(row, version)
        consumers = list(row.consumers.values_list("service__name", flat=True)[:10])
        if consumers:
            raise RuleViolation(
                f"interface {row.name} is consumed by {', '.join(consumers)}; deprecate it instead",
                field="interface_id",
                details={"field": "interface_id", "consumers": consumers},
            )
        before = _to_interface(row)
        row.delete()
        _audit(actor, "delete", "interface", before, before=before, after=None, reason=reason)


# ---------------------------------------------------------------------------------------------- datastores


def get_datastore(*, actor: Actor, datastore_id: int) -> Datastore:
    _policy.require_visible(actor)
    row = DatastoreRow.objects.filter(pk=datastore_id).first()
    if row is None:
        raise NotFound(f"datastore {datastore_id} does not exist", field="datastore_id")
    return _to_datastore(row)


def find_datastore(*, actor: Actor, name: str) -> Datastore | None:
    _policy.require_visible(actor)
    row = DatastoreRow.objects.filter(name=name.lower()).first()
    return _to_datastore(row) if row else None


def owning_service_ids(
    *, actor: Actor, datastores: Iterable[str] = (), interfaces: Iterable[str] = ()
) -> tuple[dict[str, int], dict[str, int]]:
    """The service that owns each named datastore and provides each named interface (names as stored, lowercase),
    in two queries whatever the number of names: datastores by name, interfaces by name. Unknown names (and a
    datastore no service owns) are left out."""
    _policy.require_visible(actor)
    wanted_stores = {n.lower() for n in datastores}
    wanted_interfaces = {n.lower() for n in interfaces}
    by_store = (
        dict(
            DatastoreRow.objects.filter(name__in=wanted_stores, owner_service__isnull=False).values_list(
                "name", "owner_service_id"
            )
        )
        if wanted_stores
        else {}
    )
    by_interface = (
        dict(InterfaceRow.objects.filter(name__in=wanted_interfaces).values_list("name", "service_id"))
        if wanted_interfaces
        else {}
    )
    return by_store, by_interface


def list_datastores(
    *,
    actor: Actor,
    service_id: int | None = None,
    team_id: int | None = None,
    type: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Datastore]:
    _policy.require_visible(actor)
    qs = DatastoreRow.objects.all().order_by("name")
    if service_id is not None:
        qs = qs.filter(owner_service_id=service_id)
    if team_id is not None:
        qs = qs.filter(owner_service__owner_team_id=team_id)
    if type:
        qs = qs.filter(type=type)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(description__icontains=text))
    return paginate(qs, limit=limit, offset=offset, convert=_to_datastore)


def create_datastore(
    *,
    actor: Actor,
    name: str,
    owner_service_id: ServiceId,
    type: str = DatastoreType.DATABASE.value,
    description: str = "",
) -> Datastore:
    """Add a datastore owned by a service (M1: every datastore has an owning service)."""
    values = clean_datastore(name=name, type=type, description=description)
    with transaction.atomic():
        owner = _require_service_row(owner_service_id, field="owner_service_id", missing=RuleViolation)
        _policy.require(actor, "change", owner.owner_team_id, what="add datastores here")
        if DatastoreRow.objects.filter(name=values["name"]).exists():
            raise Conflict(f"a datastore named {values['name']!r} already exists", field="name")
        row = _create_unique(DatastoreRow, "a datastore", values, owner_service=owner)
        datastore = _to_datastore(row)
        _audit(actor, "create", "datastore", datastore, before=None, after=datastore)
    return datastore


def update_datastore(*, actor: Actor, datastore_id: DatastoreId, version: int, changes: DatastoreChanges) -> Datastore:
    """Change a datastore (MECHANISMS.md §2); moving it to another service needs the right to change both owners."""
    wanted = given(changes)
    with transaction.atomic():
        row = DatastoreRow.objects.select_related("owner_service").filter(pk=datastore_id).first()
        if row is None:
            raise NotFound(f"datastore {datastore_id} does not exist", field="datastore_id")
        if row.owner_service is not None:
            org_services.require_team_change(
                actor=actor, team_id=row.owner_service.owner_team_id, what="change this datastore"
            )
        elif not actor.is_admin:
            raise PermissionDenied("only an admin may change an unowned datastore")
        before = _to_datastore(row)
        values = clean_datastore(**{f: wanted.get(f, getattr(row, f)) for f in ("name", "type", "description")})
        if "owner_service_id" in wanted:
            owner = _require_service_row(wanted["owner_service_id"], field="owner_service_id", missing=RuleViolation)
            org_services.require_team_change(actor=actor, team_id=owner.owner_team_id, what="give it this owner")
            values["owner_service_id"] = owner.pk
        if DatastoreRow.objects.filter(name=values["name"]).exclude(pk=row.pk).exists():
            raise Conflict(f"a datastore named {values['name']!r} already exists", field="name")
        update_versioned(row, expected_version=version, changes=values)
        after = _to_datastore(row)
        _audit(actor, "update", "datastore", after, before=before, after=after)
    return after


def delete_datastore(*, actor: Actor, datastore_id: DatastoreId, version: int, reason: str = "") -> None:
    """Remove a datastore; its access edges go with it, recorded in the audit entry."""
    with transaction.atomic():
        row = DatastoreRow.objects.select_related("owner_service").filter(pk=datastore_id).first()
        if row is None:
            raise NotFound(f"datastore {datastore_id} does not exist", field="datastore_id")
        if row.owner_service is not None:
            _policy.require(actor, "change", row.owner_service.owner_team_id, what="remove this datastore")
        else:
            _policy.require(actor, "change", None, what="remove an unowned datastore")
        _require_version(row, version)
        before = _to_datastore(row)
        accessors = list(row.accessors.values_list("service__name", flat=True))
        accessor_ids = list(row.accessors.values_list("service_id", flat=True))
        row.delete()
        _audit(
            actor,
            "delete",
            "datastore",
            before,
            before=before,
            after={"removed_access_from": accessors},
            reason=reason,
            also_services=accessor_ids,
        )


# ---------------------------------------------------------------------------------------------- dependencies


def get_dependency(*, actor: Actor, dependency_id: int) -> Dependency:
    _policy.require_visible(actor)
    row = _dependency_qs().filter(pk=dependency_id).first()
    if row is None:
        raise NotFound(f"dependency {dependency_id} does not exist", field="dependency_id")
    return _to_dependency(row)


def list_dependencies(
    *,
    actor: Actor,
    service_id: int | None = None,
    kind: str | None = None,
    team_id: int | None = None,
    target_service_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Dependency]:
    """Edges, filtered by the depending service, its team, the kind, or the service on the other end."""
    _policy.require_visible(actor)
    qs = _dependency_qs().order_by("id")
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    if kind:
        _choice(kind, DependencyKind, "kind")
        qs = qs.filter(kind=kind)
    if team_id is not None:
        qs = qs.filter(service__owner_team_id=team_id)
    if target_service_id is not None:
        qs = qs.filter(
            Q(interface__service_id=target_service_id)
            | Q(datastore__owner_service_id=target_service_id)
            | Q(target_service_id=target_service_id)
        )
    return paginate(qs, limit=limit, offset=offset, convert=_to_dependency)


def add_dependency(
    *,
    actor: Actor,
    service_id: ServiceId,
    kind: str,
    interface_id: InterfaceId | None = None,
    datastore_id: DatastoreId | None = None,
    target_service_id: ServiceId | None = None,
    access: str = "",
    description: str = "",
) -> Dependency:
    """Record an edge from a service: *consumes* an interface, *accesses* a datastore (read or write), or
    *links* another service's code (MECHANISMS.md §2). Recording a back door is allowed: the mandate checks
    then flag it; refusing it would only hide it. Members of the depending service's team or admins."""
    kind = _choice(kind, DependencyKind, "kind")
    description = _text(description, "description", 5000, required=False)
    target: dict[str, Any] = {}
    with transaction.atomic():
        service = _require_service_row(service_id, field="service_id", missing=RuleViolation)
        _policy.require(actor, "change", service.owner_team_id, what="change its dependencies")
        if kind == DependencyKind.CONSUMES:
            _only(kind, interface_id, "interface_id", datastore_id, target_service_id)
            interface = InterfaceRow.objects.filter(pk=interface_id).first() if isinstance(interface_id, int) else None
            if interface is None:
                raise RuleViolation(f"interface {interface_id} does not exist", field="interface_id")
            if interface.service_id == service.pk:
                raise RuleViolation("a service does not consume its own interface", field="interface_id")
            target = {"interface": interface}
            access = ""
        elif kind == DependencyKind.ACCESSES:
            _only(kind, datastore_id, "datastore_id", interface_id, target_service_id)
            datastore = DatastoreRow.objects.filter(pk=datastore_id).first() if isinstance(datastore_id, int) else None
            if datastore is None:
                raise RuleViolation(f"datastore {datastore_id} does not exist", field="datastore_id")
            access = _choice(access or Access.READ_WRITE.value, Access, "access")
            target = {"datastore": datastore}
        else:
            _only(kind, target_service_id, "target_service_id", interface_id, datastore_id)
            linked = _require_service_row(target_service_id, field="target_service_id", missing=RuleViolation)
            if linked.pk == service.pk:
                raise RuleViolation("a service does not link itself", field="target_service_id")
            target = {"target_service": linked}
            access = ""
        try:
            with transaction.atomic():
                row = DependencyRow.objects.create(
                    service=service, kind=kind, access=access, description=description, **target
                )
        except IntegrityError as exc:
            raise Conflict(f"{service.name} already has this {kind} dependency", field=kind_field(kind)) from exc
        dependency = get_dependency(actor=actor, dependency_id=row.pk)
        _audit(actor, "create", "dependency", dependency, before=None, after=dependency, label=service.name)
    return dependency


def update_dependency(
    *, actor: Actor, dependency_id: DependencyId, version: int, changes: DependencyChanges
) -> Dependency:
    """Change an edge's access mode or description (MECHANISMS.md §2); its ends are fixed: remove it and add
    another. Members of the depending service's team or admins."""
    wanted = given(changes)
    with transaction.atomic():
        row = DependencyRow.objects.select_related("service").filter(pk=dependency_id).first()
        if row is None:
            raise NotFound(f"dependency {dependency_id} does not exist", field="dependency_id")
        org_services.require_team_change(actor=actor, team_id=row.service.owner_team_id, what="change this edge")
        before = get_dependency(actor=actor, dependency_id=row.pk)
        values: dict[str, Any] = {}
        if "access" in wanted:
            if row.kind != DependencyKind.ACCESSES:
                raise RuleViolation("only an accesses edge has an access mode", field="access")
            values["access"] = _choice(wanted["access"], Access, "access")
        if "description" in wanted:
            values["description"] = _text(wanted["description"], "description", 5000, required=False)
        update_versioned(row, expected_version=version, changes=values)
        after = get_dependency(actor=actor, dependency_id=row.pk)
        _audit(actor, "update", "dependency", after, before=before, after=after, label=row.service.name)
    return after


def remove_dependency(*, actor: Actor, dependency_id: DependencyId, version: int, reason: str = "") -> None:
    with transaction.atomic():
        row = DependencyRow.objects.select_related("service").filter(pk=dependency_id).first()
        if row is None:
            raise NotFound(f"dependency {dependency_id} does not exist", field="dependency_id")
        _policy.require(actor, "change", row.service.owner_team_id, what="remove this edge")
        _require_version(row, version)
        before = get_dependency(actor=actor, dependency_id=row.pk)
        row.delete()
        _audit(actor, "delete", "dependency", before, before=before, after=None, reason=reason, label=row.service.name)


def kind_field(kind: str) -> str:
    return {"consumes": "interface_id", "accesses": "datastore_id", "links": "target_service_id"}[kind]


# ---------------------------------------------------------------------------------------------- graph


def team_edges(*, actor: Actor, team_id: int | None = None) -> list[TeamEdge]:
    """Cross-team dependencies rolled up to team pairs, in one query over the edges (Conway report, team pages).
    With `team_id`, only the pairs that team is on either end of."""
    _policy.require_visible(actor)
    qs = DependencyRow.objects.values_list(
        "kind",
        "service__owner_team_id",
        "interface__service__owner_team_id",
        "datastore__owner_service__owner_team_id",
        "target_service__owner_team_id",
    )
    if team_id is not None:
        qs = qs.filter(
            Q(service__owner_team_id=team_id)
            | Q(interface__service__owner_team_id=team_id)
            | Q(datastore__owner_service__owner_team_id=team_id)
            | Q(target_service__owner_team_id=team_id)
        )
    pairs: dict[tuple[int, int], dict[str, int]] = {}
    for kind, src, via_interface, via_datastore, via_link in qs.iterator(chunk_size=5000):
        dst = via_interface or via_datastore or via_link
        if dst is None or dst == src:
            continue
        by_kind = pairs.setdefault((src, dst), {})
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return [
        TeamEdge(
            a,
            b,
            sum(k.values()),
            tuple(sorted(k)),
            consumes=k.get("consumes", 0),
            accesses=k.get("accesses", 0),
            links=k.get("links", 0),
        )
        for (a, b), k in sorted(pairs.items())
    ]


def catalog_counts(*, actor: Actor) -> CatalogCounts:
    """How many services, interfaces, datastores and dependencies the catalog holds (every signed-in person)."""
    _policy.require_visible(actor)
    return CatalogCounts(
        services=ServiceRow.objects.count(),
        interfaces=InterfaceRow.objects.count(),
        datastores=DatastoreRow.objects.count(),
        dependencies=DependencyRow.objects.count(),
    )


# ---------------------------------------------------------------------------------------------- private helpers


def _require_owner_team(team_id: Any, field: str = "owner_team_id") -> None:
    """The owner must be an existing forming or active team (MECHANISMS.md §2: owned by one active team)."""
    team = (
        org_services.get_teams(actor=Actor.system("catalog"), ids=[team_id]).get(team_id)
        if isinstance(team_id, int)
        else None
    )
    if team is None:
        raise RuleViolation(f"team {team_id} does not exist", field=field)
    if team.status.value not in LIVE_TEAM:
        raise RuleViolation(f"team {team.slug} is {team.status.value}; a service needs an active owner", field=field)


def _require_service_row(service_id: Any, *, field: str = "service_id", missing: type = NotFound) -> ServiceRow:
    try:
        if isinstance(service_id, int) and not isinstance(service_id, bool):
            return ServiceRow.objects.get(pk=service_id)
    except ServiceRow.DoesNotExist:
        pass
    raise missing(f"service {service_id} does not exist", field=field)


def _create_unique(model: Any, what: str, values: dict[str, Any], **refs: Any) -> Any:
    """Insert a row with a unique name. The caller checked the name first; a concurrent create of the same name
    can still win the race (on PostgreSQL), and that is a Conflict on `name`, never a database error."""
    try:
        with transaction.atomic():
            return model.objects.create(**refs, **values)
    except IntegrityError as exc:
        raise Conflict(f"{what} named {values['name']!r} already exists", field="name") from exc


def _require_version(row: Any, version: int) -> None:
    if row.version != version:
        raise Conflict(
            f"{row._meta.verbose_name} {row.pk} was changed by someone else (you read version {version}, "
            f"it is now {row.version}); reload and try again",
            field="version",
        )


def _only(kind: str, required: Any, required_field: str, *others: Any) -> None:
    if required is None:
        raise RuleViolation(f"a {kind} edge needs {required_field}", field=required_field)
    if any(o is not None for o in others):
        raise RuleViolation(f"a {kind} edge names only {required_field}", field=required_field)


def _dependency_qs():
    return DependencyRow.objects.select_related("interface", "datastore", "target_service")


def _audit(
    actor: Actor,
    verb: str,
    subject_type: str,
    record: Any,
    *,
    before: Any,
    after: Any,
    reason: str = "",
    label: str | None = None,
    also_services: Iterable[int] = (),
) -> None:
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=subject_type,
        subject_id=record.id,
        subject_label=label if label is not None else getattr(record, "name", ""),
        before=dataclasses.asdict(before) if before is not None else None,
        after=dataclasses.asdict(after) if dataclasses.is_dataclass(after) else after,
        reason=reason,
    )
    _tell_mandate((record, before, after), also_services)


def _tell_mandate(records: Iterable[Any], also_services: Iterable[int]) -> None:
    """Say which teams' facts a change touched (kernel.events): the owners of the services it concerns and of every
    service with an edge to or from them, so their findings are re-evaluated after commit (issue 3, item 8)."""
    services, teams = set(also_services), set()
    for r in records:
        if isinstance(r, Service):
            services.add(r.id)
            teams.add(r.owner_team_id)
        elif isinstance(r, Interface):
            services.add(r.service_id)
        elif isinstance(r, Datastore):
            services.add(r.owner_service_id)
        elif isinstance(r, Dependency):
            services.update((r.service_id, r.target_owner_service_id))
    services.discard(None)
    teams.discard(None)
    events.teams_changed(teams | _bulk.teams_around(services))


SERVICE_COLUMNS = (
    "id",
    "name",
    "title",
    "description",
    "owner_team_id",
    "lifecycle",
    "kind",
    "tier",
    "repository",
    "on_call",
    "version",
    "owner_ref",
)


_LIFECYCLES = {e.value: e for e in Lifecycle}


def _service_from_values(row: tuple) -> Service:
    """A row of SERVICE_COLUMNS, which are in the order of Service's fields."""
    (id_, name, title, description, owner, lifecycle, kind, tier, repository, on_call, version, owner_ref) = row
    return Service(
        ServiceId(id_),
        name,
        title,
        description,
        owner,
        _LIFECYCLES[lifecycle],
        kind,
        tier,
        repository,
        on_call,
        version,
        owner_ref,
    )


def _to_service(row: ServiceRow) -> Service:
    return Service(
        id=ServiceId(row.id),
        name=row.name,
        title=row.title,
        description=row.description,
        owner_team_id=row.owner_team_id,
        lifecycle=Lifecycle(row.lifecycle),
        kind=row.kind,
        tier=row.tier,
        repository=row.repository,
        on_call=row.on_call,
        version=row.version,
        owner_ref=row.owner_ref,
    )


def _to_interface(row: InterfaceRow) -> Interface:
    return Interface(
        id=InterfaceId(row.id),
        name=row.name,
        service_id=ServiceId(row.service_id),
        type=row.type,
        api_version=row.api_version,
        description=row.description,
        definition=row.definition,
        docs_url=row.docs_url,
        auth_scheme=row.auth_scheme,
        visibility=row.visibility,
        lifecycle=row.lifecycle,
        version=row.version,
    )


def _to_datastore(row: DatastoreRow) -> Datastore:
    return Datastore(
        id=DatastoreId(row.id),
        name=row.name,
        type=row.type,
        description=row.description,
        owner_service_id=row.owner_service_id,
        version=row.version,
    )


def _to_dependency(row: DependencyRow) -> Dependency:
    if row.kind == DependencyKind.CONSUMES:
        target_name, owner = row.interface.name, row.interface.service_id
    elif row.kind == DependencyKind.ACCESSES:
        target_name, owner = row.datastore.name, row.datastore.owner_service_id
    else:
        target_name, owner = row.target_service.name, row.target_service_id
    return Dependency(
        id=DependencyId(row.id),
        service_id=ServiceId(row.service_id),
        kind=DependencyKind(row.kind),
        interface_id=row.interface_id,
        datastore_id=row.datastore_id,
        target_service_id=row.target_service_id,
        target_name=target_name,
        target_owner_service_id=owner,
        access=row.access,
        description=row.description,
        version=row.version,
    )


# ---------------------------------------------------------------------------------------------- import / export


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
    """Create or update the catalog keyed by names, all or nothing, every problem located (issue 2 item 8,
    issue 3 item 2). Owner teams must exist (import the org first, in the same transaction). Admin only.

    With `problems` shared with the org phase, nothing is written if any problem was found and the caller raises
    them all; `teams_in_input` (the slugs that phase brings) keeps its teams known when it wrote nothing."""
    org_services.require_admin(actor, "import the catalog")
    report = _bulk.import_catalog(
        actor=actor,
        services=services,
        interfaces=interfaces,
        datastores=datastores,
        dependencies=dependencies,
        prune=prune,
        problems=problems,
        teams_in_input=teams_in_input,
    )
    if report.changed_anything:
        events.teams_changed(None)
    return report


def export_catalog(*, actor: Actor, team_ids: Iterable[TeamId] | None = None) -> CatalogExport:
    """Services (with ownership history), interfaces, datastores and edges as import records, by names (import_catalog
    reads them back).
    With `team_ids`, only the neighbourhood of those teams' services (see bulk.export_catalog)."""
    _policy.require_visible(actor)
    return _bulk.export_catalog(team_ids=team_ids)


def teams_around(*, actor: Actor, service_ids: Iterable[int]) -> set[int]:
    """The teams whose mandate findings a change to these services can alter: their owners, and the owners of
    every service with an edge to or from them."""
    _policy.require_visible(actor)
    return _bulk.teams_around(service_ids)

"""API of the catalog app: services, interfaces, datastores, dependency edges, and the
team-to-team dependencies they add up to (MECHANISMS.md §2).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py. The history of any of
these records is at `GET /api/v1/history?subject_type=service&subject_id=N` (audit app).
"""

from __future__ import annotations

from typing import TypeVar

from ninja import Field, Query, Router, Schema, Status

from mechanisms.kernel.api import LIMIT_DOC, READ_ERRORS, Id, PageOut, QueryText, page_out, responses
from mechanisms.kernel.changes import changes_from
from mechanisms.org import services as org_services

from . import services
from .contracts import (
    DatastoreChanges,
    DatastoreType,
    DependencyChanges,
    DependencyKind,
    InterfaceChanges,
    Lifecycle,
    ServiceChanges,
)
from .schemas import (
    CatalogCountsOut,
    DatastoreIn,
    DatastoreOut,
    DatastorePatch,
    DependencyIn,
    DependencyOut,
    DependencyPatch,
    InterfaceIn,
    InterfaceOut,
    InterfacePatch,
    ReasonedVersionIn,
    ServiceDetailOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    TeamDependenciesOut,
    Tier,
    Version,
)

router = Router()

# Reads of filtered lists: a bad filter value (an unknown lifecycle, say) is a 400 from the service or a 422.
LIST_ERRORS = (400, 401, 422)
DELETE_ERRORS = (400, 401, 403, 404, 409, 422)


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


_C = TypeVar("_C")


def _changes(payload: Schema, changes_type: type[_C]) -> tuple[int, _C]:
    """The version the caller read, and the update contract of only the fields they sent (the rest stay UNSET)."""
    sent = payload.dict(exclude_unset=True)
    return sent.pop("version"), changes_from(changes_type, sent)


# ------------------------------------------------------------------------------------------------ services


class ServiceFilter(Schema):
    text: QueryText | None = Field(None, description="in name, title or description")
    team_id: Id | None = Field(None, description="owning team")
    org_unit_id: Id | None = Field(None, description="owning team's org unit, with its sub-units")
    lifecycle: Lifecycle | None = None
    tier: Tier | None = None
    limit: int = Field(50, description=LIMIT_DOC)
    offset: int = 0


@router.get("/services", response=responses(PageOut[ServiceOut], *LIST_ERRORS), tags=["services"])
def list_services(request, filters: Query[ServiceFilter]):
    """Services, filtered by text, owning team, org unit, lifecycle or tier. Paginated (max 200)."""
    return page_out(services.list_services(actor=request.auth, **filters.dict()))


@router.post("/services", response=responses(ServiceOut, status=201), tags=["services"])
def create_service(request, payload: ServiceIn):
    """Register a service owned by one forming or active team (members of that team, or admins)."""
    return Status(201, services.create_service(actor=_actor(request), **payload.dict()))


@router.get("/services/{service_id}", response=responses(ServiceOut, *READ_ERRORS), tags=["services"])
def get_service(request, service_id: Id):
    return services.get_service(actor=request.auth, service_id=service_id)


@router.get("/services/{service_id}/detail", response=responses(ServiceDetailOut, *READ_ERRORS), tags=["services"])
def service_detail(request, service_id: Id):
    """A service with its interfaces, datastores, dependencies, consumers and ownership history."""
    return services.service_detail(actor=request.auth, service_id=service_id)


@router.patch("/services/{service_id}", response=responses(ServiceOut), tags=["services"])
def update_service(request, service_id: Id, payload: ServicePatch):
    """Change a service (owning team's members, or admins); `version` is the version you read: a stale one gets
    409. The owner changes only through `POST /services/{id}/transfer`."""
    version, changes = _changes(payload, ServiceChanges)
    return services.update_service(actor=_actor(request), service_id=service_id, version=version, changes=changes)


@router.post("/services/{service_id}/retire", response=responses(ServiceOut), tags=["services"])
def retire_service(request, service_id: Id, payload: ReasonedVersionIn):
    """Retire a service: lifecycle `retired`; its record and history stay."""
    return services.retire_service(actor=_actor(request), service_id=service_id, **payload.dict())


# ------------------------------------------------------------------------------------------------ interfaces


class InterfaceFilter(Schema):
    service_id: Id | None = Field(None, description="provider service")
    team_id: Id | None = Field(None, description="provider's owning team")
    type: QueryText | None = None
    text: QueryText | None = Field(None, description="in name or description")
    limit: int = Field(50, description=LIMIT_DOC)
    offset: int = 0


@router.get("/interfaces", response=responses(PageOut[InterfaceOut], *LIST_ERRORS), tags=["interfaces"])
def list_interfaces(request, filters: Query[InterfaceFilter]):
    """Interfaces, filtered by provider service, its team, type or text. Paginated (max 200)."""
    return page_out(services.list_interfaces(actor=request.auth, **filters.dict()))


@router.post("/interfaces", response=responses(InterfaceOut, status=201), tags=["interfaces"])
def create_interface(request, payload: InterfaceIn):
    """Add an interface to a service (members of the provider's team, or admins)."""
    return Status(201, services.create_interface(actor=_actor(request), **payload.dict()))


@router.get("/interfaces/{interface_id}", response=responses(InterfaceOut, *READ_ERRORS), tags=["interfaces"])
def get_interface(request, interface_id: Id):
    return services.get_interface(actor=request.auth, interface_id=interface_id)


@router.patch("/interfaces/{interface_id}", response=responses(InterfaceOut), tags=["interfaces"])
def update_interface(request, interface_id: Id, payload: InterfacePatch):
    version, changes = _changes(payload, InterfaceChanges)
    return services.update_interface(actor=_actor(request), interface_id=interface_id, version=version, changes=changes)


@router.delete("/interfaces/{interface_id}", response=responses(None, *DELETE_ERRORS, status=204), tags=["interfaces"])
def delete_interface(request, interface_id: Id, version: Version, reason: QueryText = ""):
    """Remove an interface; refused (400) while other services consume it: deprecate it instead."""
    services.delete_interface(actor=_actor(request), interface_id=interface_id, version=version, reason=reason)
    return Status(204, None)


# ------------------------------------------------------------------------------------------------ datastores


class DatastoreFilter(Schema):
    service_id: Id | None = Field(None, description="owning service")
    team_id: Id | None = Field(None, description="owning service's team")
    type: DatastoreType | None = None
    text: QueryText | None = Field(None, description="in name or description")
    limit: int = Field(50, description=LIMIT_DOC)
    offset: int = 0


@router.get("/datastores", response=responses(PageOut[DatastoreOut], *LIST_ERRORS), tags=["datastores"])
def list_datastores(request, filters: Query[DatastoreFilter]):
    """Datastores, filtered by owning service, its team, type or text. Paginated (max 200)."""
    return page_out(services.list_datastores(actor=request.auth, **filters.dict()))


@router.post("/datastores", response=responses(DatastoreOut, status=201), tags=["datastores"])
def create_datastore(request, payload: DatastoreIn):
    """Add a datastore owned by a service (members of that service's team, or admins)."""
    return Status(201, services.create_datastore(actor=_actor(request), **payload.dict()))


@router.get("/datastores/{datastore_id}", response=responses(DatastoreOut, *READ_ERRORS), tags=["datastores"])
def get_datastore(request, datastore_id: Id):
    return services.get_datastore(actor=request.auth, datastore_id=datastore_id)


@router.patch("/datastores/{datastore_id}", response=responses(DatastoreOut), tags=["datastores"])
def update_datastore(request, datastore_id: Id, payload: DatastorePatch):
    """Change a datastore; giving it another owner needs the right to change both owning teams."""
    version, changes = _changes(payload, DatastoreChanges)
    return services.update_datastore(actor=_actor(request), datastore_id=datastore_id, version=version, changes=changes)


@router.delete("/datastores/{datastore_id}", response=responses(None, *DELETE_ERRORS, status=204), tags=["datastores"])
def delete_datastore(request, datastore_id: Id, version: Version, reason: QueryText = ""):
    """Remove a datastore; the edges of services accessing it go with it (listed in the history)."""
    services.delete_datastore(actor=_actor(request), datastore_id=datastore_id, version=version, reason=reason)
    return Status(204, None)


# ------------------------------------------------------------------------------------------------ dependencies


class DependencyFilter(Schema):
    service_id: Id | None = Field(None, description="the depending service")
    team_id: Id | None = Field(None, description="the depending service's team")
    kind: DependencyKind | None = None
    target_service_id: Id | None = Field(None, description="the service on the other end")
    limit: int = Field(50, description=LIMIT_DOC)
    offset: int = 0


@router.get("/dependencies", response=responses(PageOut[DependencyOut], *LIST_ERRORS), tags=["dependencies"])
def list_dependencies(request, filters: Query[DependencyFilter]):
    """Dependency edges, filtered by depending service, its team, kind, or the service on the other end."""
    return page_out(services.list_dependencies(actor=request.auth, **filters.dict()))


@router.post("/dependencies", response=responses(DependencyOut, status=201), tags=["dependencies"])
def add_dependency(request, payload: DependencyIn):
    """Record an edge: a service consumes an interface, accesses a datastore, or links another service's code.
    A duplicate edge is a 409 naming the target field."""
    return Status(201, services.add_dependency(actor=_actor(request), **payload.dict(exclude_none=True)))


@router.get("/dependencies/{dependency_id}", response=responses(DependencyOut, *READ_ERRORS), tags=["dependencies"])
def get_dependency(request, dependency_id: Id):
    return services.get_dependency(actor=request.auth, dependency_id=dependency_id)


@router.patch("/dependencies/{dependency_id}", response=responses(DependencyOut), tags=["dependencies"])
def update_dependency(request, dependency_id: Id, payload: DependencyPatch):
    """Change an edge's access mode (accesses edges only) or description; its ends are fixed."""
    version, changes = _changes(payload, DependencyChanges)
    return services.update_dependency(
        actor=_actor(request), dependency_id=dependency_id, version=version, changes=changes
    )


@router.delete(
    "/dependencies/{dependency_id}", response=responses(None, *DELETE_ERRORS, status=204), tags=["dependencies"]
)
def remove_dependency(request, dependency_id: Id, version: Version, reason: QueryText = ""):
    services.remove_dependency(actor=_actor(request), dependency_id=dependency_id, version=version, reason=reason)
    return Status(204, None)


# ------------------------------------------------------------------------------------------------ graph


@router.get("/teams/{team_id}/dependencies", response=responses(TeamDependenciesOut, *READ_ERRORS), tags=["teams"])
def team_dependencies(request, team_id: Id):
    """The teams this team depends on and the teams that depend on it, through their services' edges."""
    org_services.get_team(actor=request.auth, team_id=team_id)  # 404 for an unknown team rather than an empty answer
    edges = services.team_edges(actor=request.auth, team_id=team_id)
    return {
        "team_id": team_id,
        "depends_on": [
            {"team_id": e.to_team_id, "count": e.count, "kinds": e.kinds} for e in edges if e.from_team_id == team_id
        ],
        "depended_on_by": [
            {"team_id": e.from_team_id, "count": e.count, "kinds": e.kinds} for e in edges if e.to_team_id == team_id
        ],
    }


@router.get("/catalog/counts", response=responses(CatalogCountsOut, 401), tags=["catalog"])
def catalog_counts(request):
    """How many services, interfaces, datastores and dependency edges the catalog holds."""
    return services.catalog_counts(actor=request.auth)

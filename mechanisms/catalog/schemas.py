"""API schemas of the catalog app (entry point only).

Choices are the contracts' enums, so the OpenAPI document lists the allowed values and a wrong one is a 422
naming the field; the services check the same rules again for the pages and the CLI.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field

from mechanisms.kernel.api import Id, InSchema, OutSchema, choice

from .contracts import Access, DatastoreType, DependencyKind, Lifecycle, Visibility

Tier = Annotated[int, Field(ge=1, le=4, description="1 (most critical) to 4")]
Version = Annotated[int, Field(ge=1, le=2**63 - 1, description="the version you read; a stale one gets 409")]
# Choices of a body: strict bodies take an enum's value as text (kernel.api.choice).
LifecycleIn = choice(Lifecycle)
VisibilityIn = choice(Visibility)
DatastoreTypeIn = choice(DatastoreType)
DependencyKindIn = choice(DependencyKind)
AccessIn = choice(Access)


# ------------------------------------------------------------------------------------------------ services


class ServiceOut(OutSchema):
    id: int
    name: str
    title: str
    description: str
    owner_team_id: int | None = Field(..., description="empty when an import named an owner that is not a team")
    owner_ref: str = Field("", description="that owner as the source wrote it (e.g. user:default/guest)")
    lifecycle: str
    kind: str
    tier: int
    repository: str
    on_call: str
    version: int


class ServiceIn(InSchema):
    name: str = Field(..., max_length=63, description="lowercase letters or digits, separated by '-', '_' or '.'")
    owner_team_id: Id
    title: str = Field("", max_length=200)
    description: str = ""
    lifecycle: LifecycleIn = Lifecycle.PRODUCTION
    kind: str = Field("service", max_length=32)
    tier: Tier = 3
    repository: str = Field("", max_length=500)
    on_call: str = Field("", max_length=200)


class ServicePatch(InSchema):
    """Send `version` and only the fields you change; the owner changes through the transfer operation."""

    version: Version
    name: str | None = Field(None, max_length=63)
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    lifecycle: LifecycleIn | None = None
    kind: str | None = Field(None, max_length=32)
    tier: Tier | None = None
    repository: str | None = Field(None, max_length=500)
    on_call: str | None = Field(None, max_length=200)


class ReasonedVersionIn(InSchema):
    version: Version
    reason: str = Field("", max_length=5000)


class OwnershipOut(OutSchema):
    team_id: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    reason: str


# ------------------------------------------------------------------------------------------------ interfaces


class InterfaceOut(OutSchema):
    id: int
    name: str
    service_id: int
    type: str
    api_version: str
    description: str
    definition: str
    docs_url: str
    auth_scheme: str
    visibility: str
    lifecycle: str
    version: int


class InterfaceIn(InSchema):
    service_id: Id = Field(..., description="the provider service")
    name: str = Field(..., max_length=63)
    type: str = Field("openapi", max_length=32, description="any technology: openapi, asyncapi, graphql, grpc, ...")
    api_version: str = Field("", max_length=64)
    description: str = ""
    definition: str = Field("", description="machine-readable definition (spec text)")
    docs_url: str = Field("", max_length=500)
    auth_scheme: str = Field("", max_length=200)
    visibility: VisibilityIn = Visibility.INTERNAL
    lifecycle: LifecycleIn = Lifecycle.PRODUCTION


class InterfacePatch(InSchema):
    version: Version
    name: str | None = Field(None, max_length=63)
    type: str | None = Field(None, max_length=32)
    api_version: str | None = Field(None, max_length=64)
    description: str | None = None
    definition: str | None = None
    docs_url: str | None = Field(None, max_length=500)
    auth_scheme: str | None = Field(None, max_length=200)
    visibility: VisibilityIn | None = None
    lifecycle: LifecycleIn | None = None


# ------------------------------------------------------------------------------------------------ datastores


class DatastoreOut(OutSchema):
    id: int
    name: str
    type: str
    description: str
    owner_service_id: int | None
    version: int


class DatastoreIn(InSchema):
    owner_service_id: Id
    name: str = Field(..., max_length=63)
    type: DatastoreTypeIn = DatastoreType.DATABASE
    description: str = ""


class DatastorePatch(InSchema):
    version: Version
    name: str | None = Field(None, max_length=63)
    type: DatastoreTypeIn | None = None
    description: str | None = None
    owner_service_id: Id | None = None


# ------------------------------------------------------------------------------------------------ dependencies


class DependencyOut(OutSchema):
    id: int
    service_id: int
    kind: str
    interface_id: int | None
    datastore_id: int | None
    target_service_id: int | None
    target_name: str
    target_owner_service_id: int | None = Field(..., description="the service on the other end of the edge")
    access: str
    description: str
    version: int


class DependencyIn(InSchema):
    """An edge from `service_id`; name exactly the target its kind needs: consumes -> interface_id,
    accesses -> datastore_id (with `access`), links -> target_service_id."""

    service_id: Id
    kind: DependencyKindIn
    interface_id: Id | None = None
    datastore_id: Id | None = None
    target_service_id: Id | None = None
    access: AccessIn | None = Field(None, description="accesses edges only; default read-write")
    description: str = Field("", max_length=5000)


class DependencyPatch(InSchema):
    version: Version
    access: AccessIn | None = None
    description: str | None = Field(None, max_length=5000)


# ------------------------------------------------------------------------------------------------ read models


class ServiceDetailOut(OutSchema):
    """`consumer_services[i]` is the service of `consumers[i]`; `dependency_services` are the services on the
    other end of `dependencies`, in the same order (an edge to a datastore without an owner has none)."""

    service: ServiceOut
    interfaces: list[InterfaceOut]
    datastores: list[DatastoreOut]
    dependencies: list[DependencyOut]
    consumers: list[DependencyOut]
    consumer_services: list[ServiceOut]
    dependency_services: list[ServiceOut]
    ownership: list[OwnershipOut] = Field(..., description="newest first")


class TeamLinkOut(OutSchema):
    team_id: int
    count: int = Field(..., description="dependency edges between the two teams' services")
    kinds: list[str]


class TeamDependenciesOut(OutSchema):
    """Cross-team edges of one team (Conway report): whom it depends on (fan-out), who depends on it (fan-in)."""

    team_id: int
    depends_on: list[TeamLinkOut]
    depended_on_by: list[TeamLinkOut]


class CatalogCountsOut(OutSchema):
    services: int
    interfaces: int
    datastores: int
    dependencies: int

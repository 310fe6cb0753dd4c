"""Public contracts of the catalog app. No Django imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from mechanisms.kernel.changes import UNSET, Unset
from mechanisms.org.contracts import TeamId

ServiceId = NewType("ServiceId", int)
InterfaceId = NewType("InterfaceId", int)
DatastoreId = NewType("DatastoreId", int)
DependencyId = NewType("DependencyId", int)


class Lifecycle(StrEnum):
    EXPERIMENTAL = "experimental"
    PRODUCTION = "production"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


class InterfaceType(StrEnum):
    OPENAPI = "openapi"
    ASYNCAPI = "asyncapi"
    GRAPHQL = "graphql"
    GRPC = "grpc"
    OTHER = "other"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    PRIVATE = "private"


class DatastoreType(StrEnum):
    DATABASE = "database"
    BUCKET = "bucket"
    QUEUE = "queue"
    TOPIC = "topic"
    CACHE = "cache"
    OTHER = "other"


class DependencyKind(StrEnum):
    CONSUMES = "consumes"
    ACCESSES = "accesses"
    LINKS = "links"


class Access(StrEnum):
    READ = "read"
    WRITE = "write"
    READ_WRITE = "read-write"


@dataclass(frozen=True, slots=True)
class Service:
    id: ServiceId
    name: str
    title: str
    description: str
    owner_team_id: TeamId | None
    lifecycle: Lifecycle
    kind: str
    tier: int
    repository: str
    on_call: str
    version: int
    owner_ref: str = ""

    @property
    def display_name(self) -> str:
        return self.title or self.name


@dataclass(frozen=True, slots=True)
class Interface:
    id: InterfaceId
    name: str
    service_id: ServiceId
    type: str
    api_version: str
    description: str
    definition: str
    docs_url: str
    auth_scheme: str
    visibility: str
    lifecycle: str
    version: int


@dataclass(frozen=True, slots=True)
class Datastore:
    id: DatastoreId
    name: str
    type: str
    description: str
    owner_service_id: ServiceId | None
    version: int


@dataclass(frozen=True, slots=True)
class Dependency:
    """An edge. Exactly one of interface_id, datastore_id, target_service_id is set, by kind.

    `target_owner_service_id` is the service on the other end (the interface's provider, the datastore's
    owner, or the linked service), so graph code never needs a second lookup."""

    id: DependencyId
    service_id: ServiceId
    kind: DependencyKind
    interface_id: InterfaceId | None
    datastore_id: DatastoreId | None
    target_service_id: ServiceId | None
    target_name: str
    target_owner_service_id: ServiceId | None
    access: str
    description: str
    version: int


@dataclass(frozen=True, slots=True)
class OwnershipPeriod:
    team_id: TeamId
    started_at: dt.datetime
    ended_at: dt.datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class ServiceDetail:
    """Everything a service page shows, read in a handful of queries."""

    service: Service
    interfaces: tuple[Interface, ...]
    datastores: tuple[Datastore, ...]
    dependencies: tuple[Dependency, ...]
    consumers: tuple[Dependency, ...]
    consumer_services: tuple[Service, ...]
    dependency_services: tuple[Service, ...]
    ownership: tuple[OwnershipPeriod, ...]


@dataclass(frozen=True, slots=True)
class TeamEdge:
    """A cross-team dependency, rolled up: `from_team` depends on `to_team` through `count` edges."""

    from_team_id: TeamId
    to_team_id: TeamId
    count: int
    kinds: tuple[str, ...]
    # The count by kind (the Conway report tells sharing code or data from calling an interface).
    consumes: int = 0
    accesses: int = 0
    links: int = 0


@dataclass(frozen=True, slots=True)
class CatalogCounts:
    services: int
    interfaces: int
    datastores: int
    dependencies: int


@dataclass(frozen=True, slots=True)
class OwnershipRecord:
    team: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A service as imported or exported: the owner by team slug. `source` locates it in the input."""

    name: str
    owner_team: str | None
    title: str = ""
    description: str = ""
    lifecycle: str = "production"
    kind: str = "service"
    tier: int = 3
    repository: str = ""
    on_call: str = ""
    ownership: tuple[OwnershipRecord, ...] = ()
    owner_ref: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class InterfaceRecord:
    name: str
    service: str
    type: str = "openapi"
    api_version: str = ""
    description: str = ""
    definition: str = ""
    docs_url: str = ""
    auth_scheme: str = ""
    visibility: str = "internal"
    lifecycle: str = "production"
    source: str = ""


@dataclass(frozen=True, slots=True)
class DatastoreRecord:
    name: str
    owner_service: str | None
    type: str = "database"
    description: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class DependencyRecord:
    """An edge by names: `target` is an interface (consumes), a datastore (accesses) or a service (links)."""

    service: str
    kind: str
    target: str
    access: str = ""
    description: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class CatalogExport:
    """The catalog as import records, by names and team slugs, each section in a stable order (services,
    interfaces and datastores by name; edges by service name, kind and id): `import_catalog` reads them back."""

    services: tuple[ServiceRecord, ...]
    interfaces: tuple[InterfaceRecord, ...]
    datastores: tuple[DatastoreRecord, ...]
    dependencies: tuple[DependencyRecord, ...]


# ------------------------------------------------------------------------------------------------ update contracts
# What an update may change, declared once: a field left UNSET is not touched.


@dataclass(frozen=True, slots=True)
class ServiceChanges:
    """The changes `update_service` applies. The owner is not here: it changes only through `transfer_service`,
    which keeps the ownership history (MECHANISMS.md §2)."""

    name: str | Unset = UNSET
    title: str | Unset = UNSET
    description: str | Unset = UNSET
    lifecycle: str | Unset = UNSET
    kind: str | Unset = UNSET
    tier: int | Unset = UNSET
    repository: str | Unset = UNSET
    on_call: str | Unset = UNSET


@dataclass(frozen=True, slots=True)
class InterfaceChanges:
    """The changes `update_interface` applies (its providing service is fixed)."""

    name: str | Unset = UNSET
    type: str | Unset = UNSET
    api_version: str | Unset = UNSET
    description: str | Unset = UNSET
    definition: str | Unset = UNSET
    docs_url: str | Unset = UNSET
    auth_scheme: str | Unset = UNSET
    visibility: str | Unset = UNSET
    lifecycle: str | Unset = UNSET


@dataclass(frozen=True, slots=True)
class DatastoreChanges:
    """The changes `update_datastore` applies; a new owner needs the right to change both owners' services."""

    name: str | Unset = UNSET
    type: str | Unset = UNSET
    description: str | Unset = UNSET
    owner_service_id: ServiceId | Unset = UNSET


@dataclass(frozen=True, slots=True)
class DependencyChanges:
    """The changes `update_dependency` applies: an edge's ends are fixed (remove it and add another)."""

    access: str | Unset = UNSET
    description: str | Unset = UNSET

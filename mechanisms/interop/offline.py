"""Turn loaded Backstage entities into the mandate's ``CatalogSnapshot`` (the mapping in docs/backstage-mapping.md).

Backstage has no words for a single-threaded leader, a team's status, a datastore's owning service, a bar raiser
or a waiver, so those facts are ``mechanisms.dev/...`` annotations; this module reads and validates them, and a
malformed one is a located error like any other bad input. Annotations on a kind they do not apply to are ignored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import yaml_rs

from mechanisms.interop.backstage import (
    DEFAULT_NAMESPACE,
    Entity,
    LoadError,
    LoadResult,
    RefSyntaxError,
    Unresolved,
    parse_ref,
)
from mechanisms.mandate.contracts import (
    LIVE_TEAM_STATUSES,
    RULE_CATALOG,
    TEAM_STATUSES,
    CatalogSnapshot,
    DatastoreFact,
    EdgeFact,
    Finding,
    InterfaceFact,
    Location,
    OrgUnitFact,
    PersonFact,
    ServiceFact,
    TeamFact,
    UnresolvedDefinition,
    WaiverFact,
)

PREFIX = "mechanisms.dev/"
LEADER = PREFIX + "leader"
STATUS = PREFIX + "status"
VERSION = PREFIX + "version"
AUTH = PREFIX + "auth"
OWNER_SERVICE = PREFIX + "owner-service"
MANAGER = PREFIX + "manager"
BAR_RAISER_SINCE = PREFIX + "bar-raiser-since"
BAR_RAISER_CAPACITY = PREFIX + "bar-raiser-capacity"
WAIVERS = PREFIX + "waivers"

# The kind a dependsOn/dependencyOf target has decides the edge: code, data, or an interface.
_EDGE_BY_TARGET_KIND = {"component": "links", "resource": "accesses", "api": "consumes"}
# The kind a waiver's `related` reference has when written without one, by rule.
_RELATED_KIND = {
    "mandate/back-door": "resource",
    "mandate/direct-link": "component",
    "mandate/no-interface": "component",
    "org/stl-not-single-threaded": "group",
}
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Findings whose location is already the right line: a waiver's own line, the depended-on service itself.
_UNPINNED = frozenset({"waiver/expired", "mandate/no-interface", "org/stl-not-single-threaded"})
# Which spec fields or annotations a finding's related reference was written in, to point at its line.
_FIELDS_BY_DETAIL = {
    "consumes": ("consumesApis", "dependsOn"),
    "accesses": ("dependsOn",),
    "links": ("dependsOn",),
    "provides": ("providesApis",),
    "leader": (LEADER,),
    "manager": (MANAGER,),
    "owner-service": (OWNER_SERVICE,),
}


@dataclass(slots=True)
class OfflineCatalog:
    """The snapshot of a loaded catalog, and the annotation errors found while building it."""

    snapshot: CatalogSnapshot
    errors: list[LoadError] = field(default_factory=list)
    entities: dict[str, Entity] = field(default_factory=dict)


def build_snapshot(result: LoadResult) -> OfflineCatalog:
    """Map entities to facts: teams, org units, people, services, interfaces, datastores, edges and waivers."""
    return _Builder(result).build()


def owning_teams(catalog: OfflineCatalog) -> dict[str, str]:
    """Service ref -> its team ref, for services owned by a live team (used to group text output)."""
    live = {team.ref for team in catalog.snapshot.teams if team.status in LIVE_TEAM_STATUSES}
    return {service.ref: service.owner for service in catalog.snapshot.services if service.owner in live}


def pin_locations(findings: Iterable[Finding], catalog: OfflineCatalog, result: LoadResult) -> list[Finding]:
    """Point edge and reference findings at the line that wrote the reference, not the entity's first line.

    Done after evaluation and only for findings, so a 60,000-edge catalog never pays for line lookups. A reference
    written on the other end (``dependencyOf``) keeps the location its edge already has.
    """
    pinned = []
    for finding in findings:
        entity = catalog.entities.get(finding.subject)
        line = None
        if entity is not None and finding.related and finding.rule not in _UNPINNED:
            keys = _FIELDS_BY_DETAIL.get(finding.details[0], ()) if finding.details else ("dependsOn",)
            name = finding.related[0].rsplit("/", 1)[-1]
            line = next((found for key in keys if (found := result.find_line(entity, key, name))), None)
        pinned.append(replace(finding, location=Location(entity.file, line)) if line and entity else finding)
    return pinned


def interface_facts(components: Iterable[Entity], apis: Iterable[Entity]) -> tuple[InterfaceFact, ...]:
    """API entities as interfaces; an interface's providers are the Components listing it in providesApis."""
    providers: dict[str, list[str]] = defaultdict(list)
    for component in components:
        for api in component.refs.get("providesApis", ()):
            providers[api].append(component.ref)
    interfaces = []
    for api in apis:
        spec, metadata = api.spec, api.metadata
        annotations = metadata.get("annotations")
        if annotations:
            version, auth = _text(annotations.get(VERSION)), _text(annotations.get(AUTH))
        else:
            version = auth = None
        definition = spec.get("definition")
        if type(definition) is not str:
            if isinstance(definition, Unresolved):
                definition = UnresolvedDefinition(definition.url)
            elif not isinstance(definition, str):
                definition = None
        description = metadata.get("description")
        kind = spec.get("type", "")
        found = providers.get(api.ref)
        interfaces.append(
            InterfaceFact(
                api.ref,
                api.name,
                (kind if type(kind) is str else str(kind)).lower(),
                tuple(found) if found else (),
                definition,
                version,
                description if isinstance(description, str) and description.strip() else None,
                auth,
                Location(api.file, api.line),
            )
        )
    return tuple(interfaces)


class _Builder:
    def __init__(self, result: LoadResult) -> None:
        self.result = result
        self.errors: list[LoadError] = []
        self.by_kind: dict[str, list[Entity]] = defaultdict(list)
        self.entities: dict[str, Entity] = {}
        self.waiving: list[Entity] = []  # entities with a waivers annotation, in load order
        by_kind, entities, waiving = self.by_kind, self.entities, self.waiving
        for entity in result.entities:
            by_kind[entity.kind].append(entity)
            entities[entity.ref] = entity
            annotations = entity.metadata.get("annotations")
            if annotations and WAIVERS in annotations:
                waiving.append(entity)
        self.team_refs = {group.ref for group in self.by_kind["Group"] if _is_team(group)}
        self.members = self._memberships()
        self.locations: dict[str, Location] = {}  # a component's location, shared by its service and its edges
        # References read from annotations, by kind then text, for entities in the default namespace.
        self._annotation_refs: dict[str, dict[str, str]] = defaultdict(dict)
        self._user_refs = self._annotation_refs["user"]

    def build(self) -> OfflineCatalog:
        groups = self.by_kind["Group"]
        parents = self._group_parents(groups)
        teams = tuple(self._team(group, parents) for group in groups if group.ref in self.team_refs)
        org_units = tuple(
            OrgUnitFact(group.ref, group.name, parents.get(group.ref), Location(group.file, group.line))
            for group in groups
            if group.ref not in self.team_refs
        )
        services = tuple([self._service(component) for component in self.by_kind["Component"]])  # before edges
        snapshot = CatalogSnapshot(
            teams=teams,
            org_units=org_units,
            people=tuple([self._person(user) for user in self.by_kind["User"]]),
            services=services,
            interfaces=self._interfaces(),
            datastores=tuple([self._datastore(resource) for resource in self.by_kind["Resource"]]),
            edges=self._edges(),
            waivers=self._waivers(),
        )
        return OfflineCatalog(snapshot, self.errors, self.entities)

    # -- organization ----------------------------------------------------------------------------------------

    def _group_parents(self, groups: list[Entity]) -> dict[str, str]:
        """A group's parent is its spec.parent, else the group that lists it in spec.children."""
        parents: dict[str, str] = {}
        for group in groups:
            for child in group.refs.get("children", ()):
                parents.setdefault(child, group.ref)
        for group in groups:
            parent = group.ref_of("parent")
            if parent is not None:
                parents[group.ref] = parent
        return parents

    def _memberships(self) -> dict[str, set[str]]:
        """Members of each group: the union of Group.spec.members and every User's spec.memberOf."""
        members: dict[str, set[str]] = defaultdict(set)
        people = {user.ref for user in self.by_kind["User"]}
        for user in self.by_kind["User"]:
            for group in user.refs.get("memberOf", ()):
                members[group].add(user.ref)
        for group in self.by_kind["Group"]:
            members[group.ref].update(ref for ref in group.refs.get("members", ()) if ref in people)
        return members

    def _team(self, group: Entity, parents: dict[str, str]) -> TeamFact:
        status = group.annotations.get(STATUS, "active").strip().lower()
        if status not in TEAM_STATUSES:
            self._annotation_error(group, STATUS, f"must be one of {', '.join(TEAM_STATUSES)}")
            status = "active"
        org_unit = parents.get(group.ref)
        seen = {group.ref}
        while org_unit in self.team_refs and org_unit not in seen:  # a sub-team sits in its parent's org unit
            seen.add(org_unit)
            org_unit = parents.get(org_unit)
        return TeamFact(
            ref=group.ref,
            name=group.name,
            status=status,  # type: ignore[arg-type]
            leader=self._annotation_ref(group, LEADER, "user"),
            members=tuple(sorted(self.members.get(group.ref, ()))),
            org_unit=org_unit,
            location=Location(group.file, group.line),
        )

    def _person(self, user: Entity) -> PersonFact:
        annotations = user.metadata.get("annotations")
        if not annotations:
            return PersonFact(user.ref, user.name, None, None, None, Location(user.file, user.line))
        since = None
        if BAR_RAISER_SINCE in annotations:
            since = self._annotation_date(user, BAR_RAISER_SINCE)
        capacity = None
        if BAR_RAISER_CAPACITY in annotations:
            text = annotations[BAR_RAISER_CAPACITY].strip()
            if text.isdigit():
                capacity = int(text)
            else:
                self._annotation_error(user, BAR_RAISER_CAPACITY, "must be a whole number of open assignments")
        manager = None
        if MANAGER in annotations:
            manager = self._user_refs.get(annotations[MANAGER]) if user.namespace == DEFAULT_NAMESPACE else None
            if manager is None:
                manager = self._annotation_ref(user, MANAGER, "user")
        return PersonFact(user.ref, user.name, manager, since, capacity, Location(user.file, user.line))

    # -- catalog ---------------------------------------------------------------------------------------------

    def _service(self, component: Entity) -> ServiceFact:
        spec, refs = component.spec, component.refs
        owner = refs.get("owner")
        location = self.locations[component.ref] = Location(component.file, component.line)
        return ServiceFact(
            component.ref,
            component.name,
            owner[0] if owner else None,
            spec.get("lifecycle"),
            spec.get("type"),
            refs.get("providesApis", ()),
            location,
        )

    def _interfaces(self) -> tuple[InterfaceFact, ...]:
        return interface_facts(self.by_kind["Component"], self.by_kind["API"])

    def _datastore(self, resource: Entity) -> DatastoreFact:
        owner = resource.ref_of("owner")
        return DatastoreFact(
            resource.ref,
            resource.name,
            self._annotation_ref(resource, OWNER_SERVICE, "component"),
            owner if owner in self.team_refs else None,
            Location(resource.file, resource.line),
        )

    def _edges(self) -> tuple[EdgeFact, ...]:
        """consumesApis -> consumes; dependsOn a component -> links, a resource -> accesses, an API -> consumes.
        ``dependencyOf`` is the same relation written on the other end. Each edge once."""
        edges: list[EdgeFact] = []
        kind_of = _EDGE_BY_TARGET_KIND.get
        target_kinds: dict[str, str | None] = {}  # the same targets come back again and again
        for component in self.by_kind["Component"]:
            source, location, refs = component.ref, self.locations[component.ref], component.refs
            consumed = dict.fromkeys(refs.get("consumesApis", ()))
            for target in dict.fromkeys(refs.get("dependsOn", ())):
                kind = target_kinds.get(target, "")
                if kind == "":
                    kind = target_kinds[target] = kind_of(target.partition(":")[0])
                if kind == "consumes":
                    consumed[target] = None
                elif kind is not None:
                    edges.append(EdgeFact(source, kind, target, location))
            edges.extend([EdgeFact(source, "consumes", target, location) for target in consumed])
        candidates = self.by_kind["Resource"] + self.by_kind["Component"]
        reverse = [entity for entity in candidates if "dependencyOf" in entity.refs]
        if reverse:
            seen = {(edge.source, edge.kind, edge.target) for edge in edges}
            for entity in reverse:
                kind = _EDGE_BY_TARGET_KIND[entity.kind.lower()]
                for source in entity.refs["dependencyOf"]:
                    if source.startswith("component:") and (source, kind, entity.ref) not in seen:
                        seen.add((source, kind, entity.ref))
                        line = self.result.line_of(entity, "dependencyOf", source.rsplit("/", 1)[-1])
                        edges.append(EdgeFact(source, kind, entity.ref, Location(entity.file, line)))
        return tuple(edges)

    # -- waivers ---------------------------------------------------------------------------------------------

    def _waivers(self) -> tuple[WaiverFact, ...]:
        waivers: list[WaiverFact] = []
        for entity in self.waiving:
            waivers.extend(self._entity_waivers(entity))
        return tuple(waivers)

    def _entity_waivers(self, entity: Entity) -> list[WaiverFact]:
        try:
            items = yaml_rs.loads(entity.annotations[WAIVERS], parse_datetime=False)
        except yaml_rs.YAMLDecodeError as exc:
            self._annotation_error(entity, WAIVERS, f"is not YAML or JSON: {str(exc).splitlines()[0]}")
            return []
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            self._annotation_error(entity, WAIVERS, "must hold a list of waivers")
            return []
        base = self.result.line_of(entity, WAIVERS)
        lines = self._waiver_lines(entity, base, len(items))
        waivers = []
        for index, item in enumerate(items):
            waiver = self._waiver(entity, item, Location(entity.file, lines[index]))
            if waiver is not None:
                waivers.append(waiver)
        return waivers

    def _waiver_lines(self, entity: Entity, base: int, count: int) -> list[int]:
        """The line of each waiver's ``rule:`` inside a block annotation; the annotation's line otherwise."""
        text_lines = self.result.lines_of(entity.file)
        found = [
            number + 1
            for number in range(base - 1, min(entity.end_line, len(text_lines)))
            if re.search(r"""["']?rule["']?\s*:""", text_lines[number])
        ]
        return found[:count] if len(found) >= count else [base] * count

    def _waiver(self, entity: Entity, item: Any, location: Location) -> WaiverFact | None:
        def problem(message: str) -> None:
            where = f"metadata.annotations.{WAIVERS}"
            self.errors.append(LoadError(entity.file, location.line, entity.ref, where, message))

        if not isinstance(item, dict):
            problem("each waiver is a mapping with rule, reason, expires and approver")
            return None
        rule, reason, expires = item.get("rule"), item.get("reason"), item.get("expires")
        missing = [key for key in ("rule", "reason", "expires", "approver") if not item.get(key)]
        if missing:
            problem(f"waiver is missing {', '.join(missing)}")
            return None
        if rule not in RULE_CATALOG:
            problem(f"unknown rule {rule!r}")
            return None
        if not isinstance(reason, str) or not reason.strip():
            problem("reason must be a sentence")
            return None
        expiry = _parse_date(expires)
        if expiry is None:
            problem(f"expires must be a date YYYY-MM-DD, not {expires!r}")
            return None
        try:
            approver = parse_ref(item["approver"], default_kind="user", default_namespace=entity.namespace)
            related_value = item.get("related")
            related = None
            if related_value:
                related = parse_ref(
                    related_value, default_kind=_RELATED_KIND.get(rule), default_namespace=entity.namespace
                )
        except RefSyntaxError as exc:
            problem(str(exc))
            return None
        if not approver.startswith("user:"):
            problem(f"approver must be a user, not {approver}")
            return None
        return WaiverFact(entity.ref, rule, reason.strip(), expiry, approver, related, location)

    # -- annotations -----------------------------------------------------------------------------------------

    def _annotation_ref(self, entity: Entity, key: str, kind: str) -> str | None:
        annotations = entity.metadata.get("annotations")
        value = annotations.get(key) if annotations else None
        if value is None:
            return None
        default = entity.namespace == DEFAULT_NAMESPACE
        if default:  # most annotations name a few people and services again and again
            known = self._annotation_refs[kind].get(value)
            if known is not None:
                return known
        ref = self._read_annotation_ref(entity, key, kind, value)
        if default and ref is not None:
            self._annotation_refs[kind][value] = ref
        return ref

    def _read_annotation_ref(self, entity: Entity, key: str, kind: str, value: str) -> str | None:
        if not value.strip():
            return None
        try:
            ref = parse_ref(value.strip(), default_kind=kind, default_namespace=entity.namespace)
        except RefSyntaxError as exc:
            self._annotation_error(entity, key, str(exc))
            return None
        if not ref.startswith(kind + ":"):
            self._annotation_error(entity, key, f"must reference a {kind}, not {ref}")
            return None
        return ref

    def _annotation_date(self, entity: Entity, key: str) -> date | None:
        parsed = _parse_date(entity.annotations[key])
        if parsed is None:
            self._annotation_error(entity, key, "must be a date YYYY-MM-DD")
        return parsed

    def _annotation_error(self, entity: Entity, key: str, message: str) -> None:
        line = self.result.line_of(entity, key)
        self.errors.append(LoadError(entity.file, line, entity.ref, f"metadata.annotations.{key}", message))


def _is_team(group: Entity) -> bool:
    kind = group.spec.get("type")
    return isinstance(kind, str) and kind.lower() == "team"


def _text(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or _DATE_RE.fullmatch(value.strip()) is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None

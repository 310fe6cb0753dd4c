"""The API mandate and the organization rules as pure functions over a ``CatalogSnapshot`` (MECHANISMS.md §1-2).

No ORM, no settings, no I/O: the server feeds these from its tables and ``mech check`` from catalog files, and both
get the same findings. Each rule is one small function usable alone (the server re-evaluates only what a change
affects); ``evaluate`` runs them all. Everything is a single pass over precomputed maps (``CatalogIndex``), because
a 41,000-entity catalog must evaluate in well under a second inside a CI job.

Shared conventions: a team counts ("live") while it is forming or active; a service's team is its owner when that
owner is a live team; "another team" means both teams are known and differ, so a service with no team is reported
once, as unowned, and not again for every dependency it has.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import yaml_rs

from mechanisms.bar_raisers.rules import independence_problem
from mechanisms.mandate.contracts import (
    ERROR,
    LIVE_TEAM_STATUSES,
    RULE_CATALOG,
    WARNING,
    AppliedWaiver,
    CatalogSnapshot,
    ConwayReport,
    CoupledPair,
    DatastoreFact,
    Evaluation,
    Finding,
    GraphCluster,
    GraphEdge,
    GraphInputEdge,
    GraphInputNode,
    GraphNode,
    InterfaceFact,
    InvalidWaiver,
    Location,
    OrgUnitFact,
    PersonFact,
    ServiceFact,
    TeamDegree,
    TeamFact,
    TeamLink,
    UnresolvedDefinition,
    WaiverFact,
)

TEAM_SIZE_LIMIT = 10  # more members than this is a violation (MECHANISMS.md §1)
TEAM_SIZE_WARNING = 8  # more members than this is a warning

# -- the index ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CatalogIndex:
    """Maps computed once per snapshot so every rule is a linear pass."""

    teams: dict[str, TeamFact]
    live_teams: dict[str, TeamFact]
    org_units: dict[str, OrgUnitFact]
    people: dict[str, PersonFact]
    services: dict[str, ServiceFact]
    interfaces: dict[str, InterfaceFact]
    datastores: dict[str, DatastoreFact]
    service_team: dict[str, str]
    providers: dict[str, tuple[str, ...]]
    providing: set[str]
    member_of: dict[str, set[str]]
    led_by: dict[str, list[str]]
    _chains: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def datastore_team(self, datastore: DatastoreFact) -> str | None:
        """The owning service's team; else the datastore's own team, when that team is live."""
        if datastore.owner_service is not None:
            team = self.service_team.get(datastore.owner_service)
            if team is not None:
                return team
        owner = datastore.owner_team
        return owner if owner in self.live_teams else None

    def interface_teams(self, interface: str) -> tuple[str, ...]:
        teams = (self.service_team.get(provider) for provider in self.providers.get(interface, ()))
        return tuple(sorted({team for team in teams if team is not None}))

    def managers_of(self, person: str) -> tuple[str, ...]:
        """The management chain above a person, nearest first (a cycle in the data stops the climb)."""
        chain = self._chains.get(person)
        if chain is None:
            seen: list[str] = []
            current = self.people.get(person)
            while current is not None and current.manager is not None and current.manager not in seen:
                if current.manager == person:
                    break
                seen.append(current.manager)
                current = self.people.get(current.manager)
            chain = self._chains[person] = tuple(seen)
        return chain


def build_index(snapshot: CatalogSnapshot) -> CatalogIndex:
    teams = {team.ref: team for team in snapshot.teams}
    live = {ref: team for ref, team in teams.items() if team.status in LIVE_TEAM_STATUSES}
    services = {service.ref: service for service in snapshot.services}
    interfaces = {interface.ref: interface for interface in snapshot.interfaces}
    providers: dict[str, set[str]] = defaultdict(set)
    for interface in snapshot.interfaces:
        providers[interface.ref].update(interface.providers)
    for service in snapshot.services:
        for interface in service.provides:
            if interface in interfaces:
                providers[interface].add(service.ref)
    member_of: dict[str, set[str]] = defaultdict(set)
    led_by: dict[str, list[str]] = defaultdict(list)
    for team in live.values():
        for member in team.members:
            member_of[member].add(team.ref)
        if team.leader is not None:
            led_by[team.leader].append(team.ref)
    return CatalogIndex(
        teams=teams,
        live_teams=live,
        org_units={unit.ref: unit for unit in snapshot.org_units},
        people={person.ref: person for person in snapshot.people},
        services=services,
        interfaces=interfaces,
        datastores={datastore.ref: datastore for datastore in snapshot.datastores},
        service_team={ref: service.owner for ref, service in services.items() if service.owner in live},
        providers={ref: tuple(sorted(refs)) for ref, refs in providers.items()},
        providing={service for refs in providers.values() for service in refs},
        member_of=member_of,
        led_by=led_by,
    )


def team_of_service(snapshot: CatalogSnapshot, service: str, *, index: CatalogIndex | None = None) -> str | None:
    """The team that owns a service, or None when its owner is not a live team (MECHANISMS.md §2)."""
    return (index or build_index(snapshot)).service_team.get(service)


@dataclass(frozen=True, slots=True)
class IndexGraph:
    """The catalog index as the bar-raisers independence rule reads an org (bar_raisers.contracts.OrgGraph): people
    by `user:` reference, teams by `group:` reference, so the offline check judges an approver with the server's
    rule (MECHANISMS.md §4)."""

    index: CatalogIndex

    def managers_above(self, person: str) -> tuple[str, ...]:
        return self.index.managers_of(person)

    def team_members(self, team: str) -> frozenset[str]:
        fact = self.index.teams.get(team)
        if fact is None:
            return frozenset()
        return frozenset(fact.members) | ({fact.leader} if fact.leader else set())

    def team_leader(self, team: str) -> str | None:
        fact = self.index.teams.get(team)
        return fact.leader if fact else None

    def team_name(self, team: str) -> str:
        fact = self.index.teams.get(team)
        return fact.name if fact else team


def approver_problem(index: CatalogIndex, approver: str, subject: str) -> str | None:
    """Why an approver is not independent of a waiver's subject, or None (MECHANISMS.md §2 M6, §4): the one rule of
    `bar_raisers.rules`, with the person the subject stands for as its owner and the subject's teams as its
    owning teams."""
    people = subject_people(index, subject)
    return independence_problem(
        IndexGraph(index),
        approver,
        owner=people[0] if people else None,
        teams=subject_teams(index, subject),
        owner_word="subject's owner",
    )


def subject_teams(index: CatalogIndex, subject: str) -> tuple[str, ...]:
    """The teams a finding's subject belongs to, which a waiver's approver must be independent of."""
    kind = subject.partition(":")[0]
    if subject in index.teams:
        return (subject,)
    if kind == "component":
        team = index.service_team.get(subject)
        return (team,) if team else ()
    if kind == "api":
        return index.interface_teams(subject)
    if kind == "resource":
        datastore = index.datastores.get(subject)
        team = index.datastore_team(datastore) if datastore else None
        return (team,) if team else ()
    if kind == "user":
        return tuple(sorted({*index.member_of.get(subject, ()), *index.led_by.get(subject, ())}))
    return ()


def filing_teams(index: CatalogIndex, subject: str) -> tuple[str, ...]:
    """The teams a finding is filed under, in one order everywhere (the server's scorecards and `mech check`): a
    person's finding under the teams they lead (else the teams they belong to), any other subject under its
    teams. The first is where the finding is listed once, org-wide and in the CLI's grouping."""
    if subject.startswith("user:"):
        led = tuple(sorted(index.led_by.get(subject, ())))
        return led or tuple(sorted(index.member_of.get(subject, ())))
    return tuple(sorted(subject_teams(index, subject)))


def subject_people(index: CatalogIndex, subject: str) -> tuple[str, ...]:
    """People a subject stands for directly: a person, or the person who owns an unowned service."""
    if subject.startswith("user:"):
        return (subject,)
    service = index.services.get(subject)
    if service is not None and service.owner is not None and service.owner.startswith("user:"):
        return (service.owner,)
    return ()


# -- organization rules ------------------------------------------------------------------------------------------


def check_team_size(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """Two-pizza rule: above 10 members is a violation, 9 or 10 a warning (MECHANISMS.md §1)."""
    index = index or build_index(snapshot)
    findings = []
    for team in index.live_teams.values():
        size = len(set(team.members))
        if size > TEAM_SIZE_LIMIT:
            message = f"{size} members: a two-pizza team has at most {TEAM_SIZE_LIMIT}"
            findings.append(Finding("org/team-too-large", ERROR, team.ref, (), message, team.location))
        elif size > TEAM_SIZE_WARNING:
            message = f"{size} members: the two-pizza target is 6, the limit {TEAM_SIZE_LIMIT}"
            findings.append(Finding("org/team-size-warning", WARNING, team.ref, (), message, team.location))
    return findings


def check_no_stl(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """Every team has one single-threaded leader (MECHANISMS.md §1). A leader missing from the catalog is a
    dangling reference, reported by ``check_dangling_references``, not a missing leader."""
    index = index or build_index(snapshot)
    return [
        Finding("org/no-stl", ERROR, team.ref, (), "the team has no single-threaded leader", team.location)
        for team in index.live_teams.values()
        if team.leader is None
    ]


def check_stl_single_threaded(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """Nobody leads more than one active (or forming) team (MECHANISMS.md §1); the finding is on the person and
    ``related`` lists the teams."""
    index = index or build_index(snapshot)
    findings = []
    for person, teams in index.led_by.items():
        if len(teams) > 1 and person in index.people:
            led = tuple(sorted(teams))
            message = f"leads {len(led)} active teams: {', '.join(led)}"
            findings.append(
                Finding("org/stl-not-single-threaded", ERROR, person, led, message, index.people[person].location)
            )
    return findings


# -- catalog and mandate rules -----------------------------------------------------------------------------------


def check_unowned_services(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """Every service is owned by exactly one active team (MECHANISMS.md §2)."""
    index = index or build_index(snapshot)
    findings = []
    for service in index.services.values():
        if service.ref in index.service_team:
            continue
        owner = service.owner
        findings.append(
            Finding(
                "catalog/unowned-service",
                ERROR,
                service.ref,
                (owner,) if owner else (),
                _unowned_reason(index, owner),
                service.location,
            )
        )
    return findings


def _unowned_reason(index: CatalogIndex, owner: str | None) -> str:
    if owner is None:
        return "the service has no owner"
    if owner in index.teams:
        return f"owner {owner} is a {index.teams[owner].status} team"
    if owner in index.people:
        return f"owned by {owner}, a person: services are owned by teams"
    if owner in index.org_units:
        return f"owned by {owner}, an org unit that is not a team (spec.type team)"
    return f"owner {owner} is not in the catalog"


def check_back_doors(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """M2/M3: a service may not access a datastore owned by another team; one finding per access."""
    index = index or build_index(snapshot)
    findings = []
    for edge in snapshot.edges:
        if edge.kind != "accesses":
            continue
        datastore = index.datastores.get(edge.target)
        source_team = index.service_team.get(edge.source)
        if datastore is None or source_team is None:
            continue
        owner_team = index.datastore_team(datastore)
        if owner_team is not None and owner_team != source_team:
            message = f"accesses {edge.target}, owned by {owner_team}, from {source_team}: use its interface"
            findings.append(Finding("mandate/back-door", ERROR, edge.source, (edge.target,), message, edge.location))
    return findings


def check_direct_links(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """M2/M3: a service may not link another team's code in-process; one finding per link."""
    index = index or build_index(snapshot)
    findings = []
    for edge in snapshot.edges:
        if edge.kind != "links" or edge.source == edge.target:
            continue
        source_team = index.service_team.get(edge.source)
        target_team = index.service_team.get(edge.target)
        if source_team is not None and target_team is not None and source_team != target_team:
            message = f"links {edge.target} of {target_team} in-process: consume an interface instead"
            findings.append(Finding("mandate/direct-link", ERROR, edge.source, (edge.target,), message, edge.location))
    return findings


def check_no_interface(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """M1: a service another team depends on (links it, or accesses a datastore it owns) provides an interface."""
    index = index or build_index(snapshot)
    dependents: dict[str, set[str]] = defaultdict(set)
    for edge in snapshot.edges:
        source_team = index.service_team.get(edge.source)
        if source_team is None or edge.kind == "consumes":
            continue
        if edge.kind == "links":
            target = edge.target
        else:
            datastore = index.datastores.get(edge.target)
            target = datastore.owner_service if datastore else None
        if target is None or target == edge.source:
            continue
        target_team = index.service_team.get(target)
        if target_team is not None and target_team != source_team:
            dependents[target].add(edge.source)
    findings = []
    for service, sources in dependents.items():
        if service in index.providing:
            continue
        fact = index.services[service]
        message = f"{len(sources)} service(s) of other teams depend on it, and it provides no interface"
        findings.append(Finding("mandate/no-interface", ERROR, service, tuple(sorted(sources)), message, fact.location))
    return findings


def check_dangling_references(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """A reference to nothing (an edge, a provided interface, a leader, a manager, a datastore's owning service)
    is reported, never a crash. ``details`` names the kind of reference. Owners are left to unowned-service."""
    index = index or build_index(snapshot)
    findings: list[Finding] = []

    def dangling(subject: str, target: str, what: str, location: Location) -> None:
        message = f"{what} reference {target} points to nothing in the catalog"
        findings.append(
            Finding("catalog/dangling-reference", WARNING, subject, (target,), message, location, details=(what,))
        )

    targets = {"consumes": index.interfaces, "accesses": index.datastores, "links": index.services}
    for edge in snapshot.edges:
        if edge.target not in targets[edge.kind]:
            dangling(edge.source, edge.target, edge.kind, edge.location)
    for service in index.services.values():
        for interface in service.provides:
            if interface not in index.interfaces:
                dangling(service.ref, interface, "provides", service.location)
    for team in index.live_teams.values():
        if team.leader is not None and team.leader not in index.people:
            dangling(team.ref, team.leader, "leader", team.location)
    for person in index.people.values():
        if person.manager is not None and person.manager not in index.people:
            dangling(person.ref, person.manager, "manager", person.location)
    for datastore in index.datastores.values():
        if datastore.owner_service is not None and datastore.owner_service not in index.services:
            dangling(datastore.ref, datastore.owner_service, "owner-service", datastore.location)
    return findings


# -- M5: externalizable interfaces -------------------------------------------------------------------------------

_NO_AUTH = frozenset({"", "none", "-", "n/a", "no"})
_GRAPHQL_DEFINITION_RE = re.compile(
    r"^\s*(?:extend\s+)?(?:type|schema|interface|enum|input|union|scalar|directive)\b", re.M
)
_GRAPHQL_NOISE_RE = re.compile(r'"""[\s\S]*?"""|"(?:\\.|[^"\\\n])*"|#[^\n]*')
_PROTO_NOISE_RE = re.compile(r'/\*[\s\S]*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
_PROTO_DEFINITION_RE = re.compile(r"\b(?:message|service|enum)\s+\w+\s*\{|^\s*syntax\s*=", re.M)
_PROTO_PACKAGE_VERSION_RE = re.compile(r"^\s*package\s+[\w.]*?\.(v\d+\w*)\s*;", re.M)
_URL_IN_TEXT_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>)\]}]+")
_INTERNAL_SUFFIXES = (".internal", ".local", ".corp", ".lan", ".localhost", ".home.arpa", ".intranet")
_PRIVATE_NETWORKS = (
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "0.0.0.0/32",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
)


@dataclass(slots=True)
class DefinitionFacts:
    """What an interface's definition says, as far as it can be known. ``None`` means unknown (a URL not fetched,
    or a definition that does not parse), which never counts as a failed point."""

    parses: bool | None = None
    problem: str = ""
    version: str | None = None
    description: str | None = None
    has_auth: bool | None = None
    addresses: list[str] | None = None


def check_externalizable(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> list[Finding]:
    """M5: every interface is designed to be externalizable; one finding per interface listing every failed point
    in ``details``: definition, version, description, authentication, address."""
    findings = []
    analysed: dict[tuple[str, str], DefinitionFacts] = {}  # identical definitions (a shared file) are read once
    for interface in snapshot.interfaces:
        finding = externalizable_finding(interface, externalizable_failures(interface, analysed=analysed))
        if finding is not None:
            findings.append(finding)
    return findings


def externalizable_finding(interface: InterfaceFact, failed: list[str]) -> Finding | None:
    """The M5 finding of an interface given its failed points (``externalizable_failures``), None when none failed.
    Separate so a caller that computed the failed points elsewhere (another process) builds the same finding."""
    if not failed:
        return None
    return Finding(
        "mandate/not-externalizable",
        ERROR,
        interface.ref,
        (),
        "not externalizable: " + "; ".join(failed),
        interface.location,
        details=tuple(failed),
    )


def externalizable_failures(
    interface: InterfaceFact, *, analysed: dict[tuple[str, str], DefinitionFacts] | None = None
) -> list[str]:
    """The failed M5 points of one interface, each starting with the point's name. ``analysed`` keeps the analysis
    of each (type, definition text) met so far, to reuse when another interface has the same definition."""
    definition = interface.definition
    if analysed is not None and type(definition) is str:
        key = (interface.type, definition)
        facts = analysed.get(key)
        if facts is None:
            facts = analysed[key] = analyze_definition(interface.type, definition)
    else:
        facts = analyze_definition(interface.type, definition)
    failed = []
    if facts.parses is False:
        failed.append(f"definition: {facts.problem}")
    unknown = isinstance(interface.definition, UnresolvedDefinition)
    if interface.version is None and facts.version is None and not unknown:
        failed.append("version: none (annotation mechanisms.dev/version or the definition's info.version)")
    if interface.description is None and facts.description is None and not unknown:
        failed.append("description: none (metadata.description or the definition's info.description)")
    declared_auth = interface.auth is not None and interface.auth.strip().lower() not in _NO_AUTH
    if not declared_auth and not facts.has_auth and not unknown:
        failed.append("authentication: no scheme (the definition's security schemes or mechanisms.dev/auth)")
    internal = [address for address in facts.addresses or () if is_internal_address(address)]
    if internal:
        failed.append(f"address: only reachable inside the network: {', '.join(internal)}")
    return failed


def analyze_definition(kind: str, definition: str | UnresolvedDefinition | None) -> DefinitionFacts:
    """Parse a definition for its interface type (M4: any technology is fine, each is read its own way)."""
    if isinstance(definition, UnresolvedDefinition):
        return DefinitionFacts()
    if definition is None or not definition.strip():
        return DefinitionFacts(parses=False, problem="missing", addresses=[])
    kind = kind.lower()
    if kind in ("openapi", "swagger", "asyncapi"):
        return _analyze_document(kind, definition)
    if kind == "graphql":
        return _analyze_text(definition, _graphql_problem(definition), None)
    if kind in ("grpc", "protobuf", "proto"):
        match = _PROTO_PACKAGE_VERSION_RE.search(definition)
        return _analyze_text(definition, _protobuf_problem(definition), match.group(1) if match else None)
    return _analyze_text(definition, "", None)


def _analyze_text(text: str, problem: str, version: str | None) -> DefinitionFacts:
    return DefinitionFacts(
        parses=not problem,
        problem=problem,
        version=version,
        has_auth=False,
        addresses=_URL_IN_TEXT_RE.findall(text),
    )


def _analyze_document(kind: str, text: str) -> DefinitionFacts:
    try:
        document = yaml_rs.loads(text, parse_datetime=False)
    except yaml_rs.YAMLDecodeError as exc:
        return DefinitionFacts(parses=False, problem=f"does not parse: {str(exc).splitlines()[0]}")
    keys = ("asyncapi",) if kind == "asyncapi" else ("openapi", "swagger")
    if not isinstance(document, dict) or not any(key in document for key in keys):
        label = "an AsyncAPI" if kind == "asyncapi" else "an OpenAPI"
        return DefinitionFacts(parses=False, problem=f"not {label} document (no {' or '.join(keys)} key)")
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    version = info.get("version")
    description = info.get("description")
    return DefinitionFacts(
        parses=True,
        version=str(version) if version not in (None, "") else None,
        description=description if isinstance(description, str) and description.strip() else None,
        has_auth=_has_security_schemes(document),
        addresses=list(_document_addresses(document)),
    )


def _has_security_schemes(document: dict[str, Any]) -> bool:
    components = document.get("components")
    if isinstance(components, dict) and components.get("securitySchemes"):
        return True
    return bool(document.get("securityDefinitions"))  # Swagger 2.0


def _document_addresses(document: dict[str, Any]) -> Iterable[str]:
    """Server addresses of an OpenAPI 3 / Swagger 2 / AsyncAPI 2-3 document, and its OAuth/OpenID endpoints."""
    servers = document.get("servers")
    entries = servers.values() if isinstance(servers, dict) else servers if isinstance(servers, list) else ()
    for server in entries:
        if isinstance(server, dict):
            address = server.get("url") or server.get("host")
            if isinstance(address, str):
                yield _expand_variables(address, server.get("variables"))
    host = document.get("host")
    if isinstance(host, str):
        yield host
    components = document.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    schemes = schemes if isinstance(schemes, dict) else document.get("securityDefinitions")
    if isinstance(schemes, dict):
        yield from _oauth_urls(schemes)


def _oauth_urls(schemes: dict[str, Any]) -> Iterable[str]:
    keys = ("authorizationUrl", "tokenUrl", "refreshUrl", "openIdConnectUrl")
    for scheme in schemes.values():
        if not isinstance(scheme, dict):
            continue
        holders = [scheme]
        flows = scheme.get("flows")
        if isinstance(flows, dict):
            holders.extend(flow for flow in flows.values() if isinstance(flow, dict))
        for holder in holders:
            for key in keys:
                if isinstance(holder.get(key), str):
                    yield holder[key]


def _expand_variables(address: str, variables: Any) -> str:
    if "{" not in address or not isinstance(variables, dict):
        return address
    for name, spec in variables.items():
        if isinstance(spec, dict) and spec.get("default") is not None:
            address = address.replace("{" + str(name) + "}", str(spec["default"]))
    return address


def _balanced(text: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for char in text:
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


def _graphql_problem(text: str) -> str:
    code = _GRAPHQL_NOISE_RE.sub(" ", text)
    if not _balanced(code):
        return "does not parse as GraphQL SDL: unbalanced braces"
    if _GRAPHQL_DEFINITION_RE.search(code) is None:
        return "does not parse as GraphQL SDL: no type or schema definition"
    return ""


def _protobuf_problem(text: str) -> str:
    code = _PROTO_NOISE_RE.sub(" ", text)
    if not _balanced(code):
        return "does not parse as protobuf: unbalanced braces"
    if _PROTO_DEFINITION_RE.search(code) is None:
        return "does not parse as protobuf: no syntax, message or service"
    return ""


def is_internal_address(address: str) -> bool:
    """True for an address that only works inside a network: localhost, loopback, private and link-local IPs,
    hosts under .internal/.local/.corp/.lan, and single-label hosts that only an internal resolver knows."""
    host = _host_of(address)
    if not host or "{" in host:
        return False  # relative URL or an unfilled template: nothing to judge
    if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
        return True
    if host[0].isdigit() or ":" in host:
        ip = _ip(host)
        if ip is not None:
            import ipaddress

            return any(ip in ipaddress.ip_network(network) for network in _PRIVATE_NETWORKS)
    return "." not in host


def _host_of(address: str) -> str:
    """The host of ``scheme://user@host:port/path``, ``host:port`` or ``[v6]:port``; empty for a relative URL."""
    address = address.strip()
    if not address or address[0] == "/":
        return ""
    scheme = address.find("://")
    authority = address[scheme + 3 :] if scheme != -1 else address
    for separator in "/?#":
        authority = authority.partition(separator)[0]
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        host = authority[1:].partition("]")[0]
    else:
        host = authority.partition(":")[0]
    return host.lower().rstrip(".")


def _ip(host: str) -> Any:
    import ipaddress

    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


# -- M6: waivers ---------------------------------------------------------------------------------------------------


def check_expired_waivers(
    snapshot: CatalogSnapshot, *, today: date, index: CatalogIndex | None = None
) -> list[Finding]:
    """M6: an expired waiver is a violation again; one finding per waiver, on the subject it waived.
    ``related`` is the waiver's related reference, if it names one; ``details`` are the rule and the expiry."""
    findings = []
    for waiver in snapshot.waivers:
        if waiver.expires < today:
            message = f"waiver of {waiver.rule} expired on {waiver.expires.isoformat()}"
            findings.append(
                Finding(
                    "waiver/expired",
                    ERROR,
                    waiver.subject,
                    (waiver.related,) if waiver.related else (),
                    message,
                    waiver.location,
                    details=(waiver.rule, f"expired {waiver.expires.isoformat()}"),
                )
            )
    return findings


def waiver_problem(
    snapshot: CatalogSnapshot, waiver: WaiverFact, *, today: date, index: CatalogIndex | None = None
) -> str | None:
    """Why a waiver's approver may not grant it, or None: the approver must be in the bar-raiser pool and
    independent of the subject's team(s) and of the person the subject stands for (MECHANISMS.md §2 M6, §4)."""
    index = index or build_index(snapshot)
    approver = index.people.get(waiver.approver)
    if approver is None:
        return f"approver {waiver.approver} is not in the catalog"
    if not approver.in_bar_raiser_pool(today):
        return f"approver {waiver.approver} is not in the bar-raiser pool"
    problem = approver_problem(index, waiver.approver, waiver.subject)
    return f"approver {waiver.approver} is not independent: {problem}" if problem else None


def apply_waivers(
    findings: Iterable[Finding], snapshot: CatalogSnapshot, *, today: date, index: CatalogIndex | None = None
) -> tuple[list[Finding], list[InvalidWaiver]]:
    """Mark findings covered by a valid, unexpired waiver as waived; list the waivers whose approver may not
    grant them. A waiver covers the findings of its rule on its subject, narrowed to one related reference if set.
    """
    index = index or build_index(snapshot)
    problems = {waiver: waiver_problem(snapshot, waiver, today=today, index=index) for waiver in snapshot.waivers}
    usable: dict[tuple[str, str], list[WaiverFact]] = defaultdict(list)
    for waiver, problem in problems.items():
        if problem is None and waiver.expires >= today:
            usable[(waiver.subject, waiver.rule)].append(waiver)
    result = []
    for finding in findings:
        waiver = _covering_waiver(finding, usable.get((finding.subject, finding.rule)))
        if waiver is not None:
            applied = AppliedWaiver(waiver.reason, waiver.expires, waiver.approver, waiver.location)
            finding = replace(finding, waiver=applied)
        result.append(finding)
    invalid = [InvalidWaiver(waiver, problem) for waiver, problem in problems.items() if problem is not None]
    return result, invalid


def unused_waivers(findings: Iterable[Finding], snapshot: CatalogSnapshot, *, today: date) -> list[WaiverFact]:
    """Unexpired waivers that cover no finding: the finding was fixed (remove the waiver), or the waiver names the
    wrong entity, rule or related reference. Validity of the approver is not judged here."""
    by_key: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        by_key[(finding.subject, finding.rule)].append(finding)
    return [
        waiver
        for waiver in snapshot.waivers
        if waiver.expires >= today
        and not any(
            waiver.related is None or waiver.related in finding.related
            for finding in by_key.get((waiver.subject, waiver.rule), ())
        )
    ]


def _covering_waiver(finding: Finding, candidates: list[WaiverFact] | None) -> WaiverFact | None:
    if not candidates or finding.rule == "waiver/expired":
        return None
    for waiver in candidates:
        if waiver.related is None or waiver.related in finding.related:
            return waiver
    return None


# -- evaluation ----------------------------------------------------------------------------------------------------

RuleFunction = Callable[..., list[Finding]]

RULES: tuple[RuleFunction, ...] = (
    check_team_size,
    check_no_stl,
    check_stl_single_threaded,
    check_unowned_services,
    check_back_doors,
    check_direct_links,
    check_no_interface,
    check_externalizable,
    check_dangling_references,
)


def assess(
    snapshot: CatalogSnapshot,
    *,
    today: date,
    known: Mapping[RuleFunction, Iterable[Finding]] | None = None,
    index: CatalogIndex | None = None,
) -> Evaluation:
    """Run every rule, apply waivers, and return the findings in a deterministic order with the invalid waivers.

    ``known`` gives findings of some rules computed elsewhere for this same snapshot (by the server for a part of
    the catalog a change did not touch, or in another process); those rules are not run again. ``index`` is this
    snapshot's ``build_index``, when the caller already built it.
    """
    if index is None:
        index = build_index(snapshot)
    known = known or {}
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(known[rule] if rule in known else rule(snapshot, index=index))
    findings.extend(check_expired_waivers(snapshot, today=today, index=index))
    waived, invalid = apply_waivers(findings, snapshot, today=today, index=index)
    waived.sort(key=_finding_order)
    invalid.sort(key=lambda item: _waiver_order(item.waiver))
    unused = sorted(unused_waivers(waived, snapshot, today=today), key=_waiver_order)
    return Evaluation(tuple(waived), tuple(invalid), tuple(unused))


def _waiver_order(waiver: WaiverFact) -> tuple[str, str, str]:
    return (waiver.subject, waiver.rule, waiver.related or "")


def evaluate(snapshot: CatalogSnapshot, *, today: date) -> list[Finding]:
    """All findings of a snapshot, waived ones marked, in a deterministic order."""
    return list(assess(snapshot, today=today).findings)


def _finding_order(finding: Finding) -> tuple[str, str, tuple[str, ...], str]:
    return (finding.rule, finding.subject, finding.related, finding.message)


def summarize(findings: Iterable[Finding]) -> dict[str, Any]:
    """Counts for a scorecard or a CLI summary: unwaived errors and warnings, waived findings, and per rule."""
    errors = warnings = waived = 0
    by_rule: dict[str, int] = defaultdict(int)
    for finding in findings:
        by_rule[finding.rule] += 1
        if finding.waived:
            waived += 1
        elif finding.severity == ERROR:
            errors += 1
        else:
            warnings += 1
    return {"errors": errors, "warnings": warnings, "waived": waived, "by_rule": dict(sorted(by_rule.items()))}


def rule_ids() -> tuple[str, ...]:
    return tuple(RULE_CATALOG)


# -- Conway report -------------------------------------------------------------------------------------------------


def conway(snapshot: CatalogSnapshot, *, index: CatalogIndex | None = None) -> ConwayReport:
    """The team-to-team graph from cross-team edges (consumes, accesses, links), each team's fan-in and fan-out,
    and the team pairs coupled across org units (MECHANISMS.md §2, Conway report)."""
    index = index or build_index(snapshot)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    slot = {"consumes": 0, "accesses": 1, "links": 2}
    for edge in snapshot.edges:
        source_team = index.service_team.get(edge.source)
        if source_team is None:
            continue
        for target_team in _target_teams(index, edge.kind, edge.target):
            if target_team != source_team:
                counts[(source_team, target_team)][slot[edge.kind]] += 1
    links = tuple(TeamLink(source, target, *values) for (source, target), values in sorted(counts.items()))
    unit_of = {ref: team.org_unit for ref, team in index.teams.items()}
    return conway_from_links(links, unit_of=unit_of, live=index.live_teams)


def conway_from_links(
    links: Iterable[TeamLink], *, unit_of: Mapping[str, str | None], live: Iterable[str]
) -> ConwayReport:
    """The Conway report from team-to-team links already rolled up (the server counts them in one query): fan-in
    and fan-out of every live team, and the pairs coupled across org units (`unit_of`: each team's unit)."""
    links = tuple(sorted(links, key=lambda link: (link.source, link.target)))
    fan_in: dict[str, int] = defaultdict(int)
    fan_out: dict[str, int] = defaultdict(int)
    for link in links:
        fan_out[link.source] += 1
        fan_in[link.target] += 1
    degrees = tuple(
        sorted(
            (TeamDegree(ref, unit_of.get(ref), fan_in[ref], fan_out[ref]) for ref in live),
            key=lambda degree: (-degree.fan_in, -degree.fan_out, degree.team),
        )
    )
    return ConwayReport(links, degrees, _coupled_pairs(unit_of, links))


# -- the Conway graph's layout ---------------------------------------------------------------------------------------

GRAPH_WIDTH = 960  # clusters wrap into rows no wider than this (a readable page at 1,360 px)
_CHAR = 6.6  # width of a character at the graph's 11 px font: boxes are sized to their labels, never clipping them
_ROW, _CELL, _PAD, _HEAD, _GAP = 22, 18, 12, 26, 36
_ARC_ROOM = 48
_COLUMN_MAX = 10  # a cluster of up to this many teams lists them in a column, each labelled; larger ones are a grid
_LABEL_MAX = 34


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_MAX else label[: _LABEL_MAX - 1] + "…"


def layout_conway(
    nodes: Sequence[GraphInputNode],
    edges: Iterable[GraphInputEdge],
    cluster_labels: Mapping[str, str],
    *,
    max_edges: int = 400,
    width: float = GRAPH_WIDTH,
) -> tuple[tuple[GraphCluster, ...], tuple[GraphNode, ...], tuple[GraphEdge, ...], float, float, int]:
    """Lay out the Conway graph: one box per org unit (in the order of `cluster_labels`, wrapped into rows), its
    teams inside (a labelled column for a small unit, a grid for a large one, one big dot for a unit drawn whole),
    and the edges between the dots, cross-unit ones first (they are what the graph is for). Returns the clusters,
    nodes, edges kept, the drawing's width and height, and how many edges were left out (beyond `max_edges`)."""
    members: dict[str, list[GraphInputNode]] = defaultdict(list)
    for node in nodes:
        members[node.cluster].append(node)
    clusters: list[GraphCluster] = []
    placed: dict[str, GraphNode] = {}
    x = drawing_width = row_height = 0.0
    y = _ARC_ROOM  # room above the first row for the arcs between its boxes
    for key, title in cluster_labels.items():
        inside = members.get(key)
        if not inside:
            continue
        title = title if len(title) <= 2 * _LABEL_MAX else title[: 2 * _LABEL_MAX - 1] + "…"
        local, box_w, box_h = _cluster_layout(inside, title)
        if x > 0 and x + box_w > width:
            x, y, row_height = 0.0, y + row_height + _GAP, 0.0
        clusters.append(GraphCluster(key, title, round(x, 1), round(y, 1), round(box_w, 1), round(box_h, 1)))
        for node, (nx, ny, r, show) in zip(inside, local, strict=True):
            placed[node.key] = GraphNode(
                key=node.key,
                label=node.label,
                cluster=key,
                kind=node.kind,
                count=node.count,
                x=round(x + nx, 1),
                y=round(y + ny, 1),
                r=round(r, 1),
                show_label=show,
                label_x=round(x + nx + r + 5, 1),
                label_y=round(y + ny, 1),
            )
        x += box_w + _GAP
        row_height = max(row_height, box_h)
        drawing_width = max(drawing_width, x - _GAP)
    drawable = [e for e in edges if e.source in placed and e.target in placed and e.source != e.target]
    unit_of = {key: node.cluster for key, node in placed.items()}
    drawable.sort(key=lambda e: (unit_of[e.source] == unit_of[e.target], -e.weight, e.source, e.target))
    kept = [
        GraphEdge(
            e.source,
            e.target,
            placed[e.source].x,
            placed[e.source].y,
            placed[e.target].x,
            placed[e.target].y,
            e.weight,
            unit_of[e.source] != unit_of[e.target],
            e.tight,
            *_bend(placed[e.source], placed[e.target]),
        )
        for e in drawable[:max_edges]
    ]
    height = y + row_height if clusters else 0.0
    return (
        tuple(clusters),
        tuple(placed.values()),
        tuple(kept),
        round(drawing_width, 1),
        round(height, 1),
        max(len(drawable) - max_edges, 0),
    )


def _bend(a: GraphNode, b: GraphNode) -> tuple[float, float]:
    """The control point of an edge's curve: dots in one row arc above it, dots in one column bow out to the left
    (clear of the labels on the right), others bend a little off the straight line."""
    dx, dy = b.x - a.x, b.y - a.y
    if abs(dx) < 1:
        return round(max(a.x - 12 - 0.35 * abs(dy), 0.0), 1), round((a.y + b.y) / 2, 1)  # never off the left edge
    if abs(dy) < _ROW * 5 and abs(dx) > abs(dy):
        return round((a.x + b.x) / 2, 1), round(max(min(a.y, b.y) - 30 - 0.08 * abs(dx), 4 - _ARC_ROOM), 1)
    return round((a.x + b.x) / 2 + 0.15 * dy, 1), round((a.y + b.y) / 2 - 0.15 * dx, 1)


def _cluster_layout(
    inside: Sequence[GraphInputNode], title: str
) -> tuple[list[tuple[float, float, float, bool]], float, float]:
    """Positions inside one box (x, y, radius, label shown) and the box's width and height."""
    title_w = len(title) * _CHAR + 2 * _PAD
    if len(inside) == 1 and inside[0].kind == "unit":
        r = min(10 + 4 * inside[0].count ** 0.5, 40)
        box_w = max(2 * r + 2 * _PAD, title_w)
        return [(box_w / 2, _HEAD + r, r, False)], box_w, _HEAD + 2 * r + _PAD
    if len(inside) <= _COLUMN_MAX:
        longest = max(len(_short(n.label)) for n in inside)
        box_w = max(title_w, 2 * _PAD + 20 + 5 + longest * _CHAR)
        local = [
            (_PAD + 10, _HEAD + i * _ROW + _ROW / 2, min(4 + node.weight * 0.5, 9), True)
            for i, node in enumerate(inside)
        ]
        return local, box_w, _HEAD + len(inside) * _ROW + _PAD / 2
    columns = max(int((len(inside) * 1.6) ** 0.5 + 0.999), 1)
    rows = (len(inside) + columns - 1) // columns
    box_w = max(title_w, columns * _CELL + 2 * _PAD)
    local = [
        (
            _PAD + (i % columns) * _CELL + _CELL / 2,
            _HEAD + (i // columns) * _CELL + _CELL / 2,
            min(3 + n.weight * 0.4, 8),
            False,
        )
        for i, n in enumerate(inside)
    ]
    return local, box_w, _HEAD + rows * _CELL + _PAD


def _target_teams(index: CatalogIndex, kind: str, target: str) -> tuple[str, ...]:
    if kind == "consumes":
        return index.interface_teams(target)
    if kind == "accesses":
        datastore = index.datastores.get(target)
        team = index.datastore_team(datastore) if datastore else None
        return (team,) if team else ()
    team = index.service_team.get(target)
    return (team,) if team else ()


def _coupled_pairs(unit_of: Mapping[str, str | None], links: tuple[TeamLink, ...]) -> tuple[CoupledPair, ...]:
    pairs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for link in links:
        if link.source not in unit_of or link.target not in unit_of:
            continue
        if unit_of[link.source] == unit_of[link.target]:
            continue
        key = (min(link.source, link.target), max(link.source, link.target))
        pairs[key][0] += link.total
        pairs[key][1] += link.accesses + link.links
    result = [
        CoupledPair(team_a, team_b, unit_of[team_a], unit_of[team_b], total, tight > 0)
        for (team_a, team_b), (total, tight) in pairs.items()
    ]
    result.sort(key=lambda pair: (-pair.edges, pair.team_a, pair.team_b))
    return tuple(result)

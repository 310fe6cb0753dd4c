"""The mandate and org rules as pure functions over hand-built snapshots: each rule, positive and negative."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mechanisms.mandate import rules
from mechanisms.mandate.contracts import (
    CatalogSnapshot,
    DatastoreFact,
    EdgeFact,
    InterfaceFact,
    OrgUnitFact,
    PersonFact,
    ServiceFact,
    TeamFact,
    UnresolvedDefinition,
    WaiverFact,
)

TODAY = date(2025, 6, 1)
OPENAPI = """\
openapi: 3.0.3
info: {title: Orders, version: 1.2.0, description: Orders of customers}
servers: [{url: "https://api.example.com/orders"}]
paths: {}
components: {securitySchemes: {bearer: {type: http, scheme: bearer}}}
"""


def team(
    name: str, *members: str, leader: str | None = "default", status: str = "active", unit: str = "org"
) -> TeamFact:
    people = tuple(f"user:default/{member}" for member in members)
    lead = (people[0] if people else None) if leader == "default" else leader
    return TeamFact(f"group:default/{name}", name, status, lead, people, f"group:default/{unit}")  # type: ignore[arg-type]


def person(name: str, manager: str | None = None, bar_raiser: bool = False) -> PersonFact:
    return PersonFact(
        f"user:default/{name}",
        name,
        f"user:default/{manager}" if manager else None,
        date(2023, 1, 1) if bar_raiser else None,
    )


def service(name: str, owner: str, *provides: str) -> ServiceFact:
    return ServiceFact(f"component:default/{name}", name, owner, provides=tuple(f"api:default/{p}" for p in provides))


def interface(name: str, provider: str | None = None, **fields: object) -> InterfaceFact:
    values: dict[str, object] = {"type": "openapi", "definition": OPENAPI}
    values.update(fields)
    providers = (f"component:default/{provider}",) if provider else ()
    return InterfaceFact(f"api:default/{name}", name, providers=providers, **values)  # type: ignore[arg-type]


def datastore(name: str, owner_service: str | None = None, owner_team: str | None = None) -> DatastoreFact:
    return DatastoreFact(
        f"resource:default/{name}",
        name,
        f"component:default/{owner_service}" if owner_service else None,
        f"group:default/{owner_team}" if owner_team else None,
    )


def edge(source: str, kind: str, target: str) -> EdgeFact:
    prefix = {"consumes": "api", "accesses": "resource", "links": "component"}[kind]
    return EdgeFact(f"component:default/{source}", kind, f"{prefix}:default/{target}")  # type: ignore[arg-type]


def base(**overrides: object) -> CatalogSnapshot:
    """Two teams in different org units, each with a service, an interface and a datastore, and a bar raiser."""
    snapshot = CatalogSnapshot(
        teams=(team("orders", "ann", "bob", unit="commerce"), team("payments", "cy", "dee", unit="finance")),
        org_units=(OrgUnitFact("group:default/commerce", "commerce"), OrgUnitFact("group:default/finance", "finance")),
        people=(
            person("ceo", bar_raiser=True),
            person("ann", "ceo"),
            person("bob", "ann", bar_raiser=True),
            person("cy", "ceo"),
            person("dee", "cy"),
            person("eve", "ceo", bar_raiser=True),
        ),
        services=(
            service("orders-service", "group:default/orders", "orders-api"),
            service("payments-service", "group:default/payments", "payments-api"),
        ),
        interfaces=(interface("orders-api", "orders-service"), interface("payments-api", "payments-service")),
        datastores=(datastore("orders-db", "orders-service"), datastore("ledger-db", "payments-service")),
    )
    return replace(snapshot, **overrides)


def found(snapshot: CatalogSnapshot, today: date = TODAY) -> set[tuple[str, str]]:
    return {(finding.rule, finding.subject) for finding in rules.evaluate(snapshot, today=today)}


def test_a_well_kept_catalog_has_no_findings() -> None:
    edges = (edge("orders-service", "consumes", "payments-api"), edge("orders-service", "accesses", "orders-db"))
    assert rules.evaluate(base(edges=edges), today=TODAY) == []


# -- org rules -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [(8, None), (9, "org/team-size-warning"), (10, "org/team-size-warning"), (11, "org/team-too-large")],
)
def test_team_size_is_a_warning_at_9_and_10_and_an_error_above_10(size: int, expected: str | None) -> None:
    members = [f"p{number}" for number in range(size)]
    findings = rules.check_team_size(base(teams=(team("big", *members),)))
    assert [finding.rule for finding in findings] == ([expected] if expected else [])


def test_team_size_counts_each_person_once() -> None:
    big = replace(
        team("big", *[f"p{n}" for n in range(10)]), members=tuple(f"user:default/p{n % 5}" for n in range(11))
    )
    assert rules.check_team_size(base(teams=(big,))) == []


def test_dissolved_teams_are_not_checked_for_size_or_leader() -> None:
    gone = team("gone", *[f"p{n}" for n in range(12)], leader=None, status="dissolved")
    assert found(base(teams=(*base().teams, gone))) == set()


def test_team_without_a_leader_is_no_stl() -> None:
    assert found(base(teams=(team("orders", "ann", leader=None, unit="commerce"),))) >= {
        ("org/no-stl", "group:default/orders")
    }


def test_forming_team_is_checked_like_an_active_one() -> None:
    assert ("org/no-stl", "group:default/new") in found(
        base(teams=(team("new", "ann", leader=None, status="forming"),))
    )


def test_leader_of_two_active_teams_is_not_single_threaded() -> None:
    teams = (team("orders", "ann", "bob"), team("payments", "cy", leader="user:default/ann"))
    (finding,) = rules.check_stl_single_threaded(base(teams=teams))
    assert finding.subject == "user:default/ann"
    assert finding.related == ("group:default/orders", "group:default/payments")


def test_leading_one_active_and_one_dissolved_team_is_single_threaded() -> None:
    teams = (team("orders", "ann"), team("old", "cy", leader="user:default/ann", status="dissolved"))
    assert rules.check_stl_single_threaded(base(teams=teams)) == []


# -- ownership -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "reason"),
    [
        ("user:default/ann", "a person"),
        ("group:default/commerce", "an org unit"),
        ("group:default/nobody", "not in the catalog"),
        (None, "no owner"),
    ],
)
def test_service_not_owned_by_an_active_team_is_unowned(owner: str | None, reason: str) -> None:
    snapshot = base(services=(service("orphan", owner),))  # type: ignore[arg-type]
    (finding,) = rules.check_unowned_services(snapshot)
    assert (finding.rule, finding.subject) == ("catalog/unowned-service", "component:default/orphan")
    assert reason in finding.message


def test_service_of_a_dissolved_team_is_unowned() -> None:
    snapshot = base(
        teams=(team("orders", "ann", status="dissolved"),), services=(service("s", "group:default/orders"),)
    )
    assert [finding.subject for finding in rules.check_unowned_services(snapshot)] == ["component:default/s"]


def test_team_of_service_is_its_live_owner_team() -> None:
    snapshot = base()
    assert rules.team_of_service(snapshot, "component:default/orders-service") == "group:default/orders"
    assert rules.team_of_service(snapshot, "component:default/unknown") is None


# -- back doors, direct links, interfaces ----------------------------------------------------------------------


def test_accessing_another_teams_datastore_is_a_back_door() -> None:
    (finding,) = rules.check_back_doors(base(edges=(edge("orders-service", "accesses", "ledger-db"),)))
    assert finding.subject == "component:default/orders-service"
    assert finding.related == ("resource:default/ledger-db",)


def test_same_team_datastore_access_is_not_a_back_door() -> None:
    assert rules.check_back_doors(base(edges=(edge("orders-service", "accesses", "orders-db"),))) == []


def test_datastore_without_owning_service_belongs_to_its_owner_team() -> None:
    snapshot = base(datastores=(datastore("cache", owner_team="payments"),))
    assert len(rules.check_back_doors(replace(snapshot, edges=(edge("orders-service", "accesses", "cache"),)))) == 1
    assert rules.check_back_doors(replace(snapshot, edges=(edge("payments-service", "accesses", "cache"),))) == []


def test_datastore_without_any_team_is_not_a_back_door() -> None:
    snapshot = base(datastores=(datastore("shared"),), edges=(edge("orders-service", "accesses", "shared"),))
    assert rules.check_back_doors(snapshot) == []


def test_cross_team_use_through_an_interface_is_allowed() -> None:
    assert found(base(edges=(edge("orders-service", "consumes", "payments-api"),))) == set()


def test_linking_another_teams_service_is_a_direct_link_per_edge() -> None:
    services = (*base().services, service("risk-lib", "group:default/payments"))
    edges = (edge("orders-service", "links", "risk-lib"), edge("orders-service", "links", "payments-service"))
    findings = rules.check_direct_links(base(services=services, edges=edges))
    assert sorted(finding.related for finding in findings) == [
        ("component:default/payments-service",),
        ("component:default/risk-lib",),
    ]


def test_same_team_link_is_not_a_direct_link() -> None:
    services = (*base().services, service("orders-lib", "group:default/orders"))
    assert (
        rules.check_direct_links(base(services=services, edges=(edge("orders-service", "links", "orders-lib"),))) == []
    )


def test_service_another_team_links_without_an_interface_has_no_interface() -> None:
    services = (*base().services, service("risk-lib", "group:default/payments"))
    (finding,) = rules.check_no_interface(base(services=services, edges=(edge("orders-service", "links", "risk-lib"),)))
    assert (finding.subject, finding.related) == ("component:default/risk-lib", ("component:default/orders-service",))


def test_owner_of_a_datastore_another_team_accesses_needs_an_interface() -> None:
    services = (*base().services, service("ledger-writer", "group:default/payments"))
    datastores = (datastore("ledger-db", "ledger-writer"),)
    snapshot = base(services=services, datastores=datastores, edges=(edge("orders-service", "accesses", "ledger-db"),))
    assert [finding.subject for finding in rules.check_no_interface(snapshot)] == ["component:default/ledger-writer"]


def test_service_only_its_own_team_depends_on_needs_no_interface() -> None:
    services = (*base().services, service("orders-lib", "group:default/orders"))
    assert (
        rules.check_no_interface(base(services=services, edges=(edge("orders-service", "links", "orders-lib"),))) == []
    )


def test_unowned_service_is_reported_once_not_for_each_dependency() -> None:
    services = (*base().services, service("orphan", "user:default/ann"))
    assert found(base(services=services, edges=(edge("orphan", "accesses", "ledger-db"),))) == {
        ("catalog/unowned-service", "component:default/orphan")
    }


# -- externalizable interfaces -----------------------------------------------------------------------------------


def test_complete_openapi_interface_is_externalizable() -> None:
    assert rules.externalizable_failures(interface("orders-api")) == []


def test_every_failed_point_is_listed() -> None:
    definition = "openapi: 3.0.3\ninfo: {title: x}\nservers: [{url: 'http://localhost:8080'}]\npaths: {}\n"
    failures = rules.externalizable_failures(interface("x", definition=definition))
    assert [failure.split(":")[0] for failure in failures] == ["version", "description", "authentication", "address"]


def test_annotations_and_metadata_complete_a_bare_definition() -> None:
    definition = "openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n"
    api = interface("x", definition=definition, version="1", description="Orders", auth="OAuth 2.0")
    assert rules.externalizable_failures(api) == []


def test_auth_annotation_none_is_no_scheme() -> None:
    definition = "openapi: 3.0.3\ninfo: {title: x, version: '1', description: d}\npaths: {}\n"
    assert rules.externalizable_failures(interface("x", definition=definition, auth="none"))[0].startswith("auth")


@pytest.mark.parametrize(
    ("kind", "definition"),
    [
        ("openapi", "openapi: [3.0"),
        ("openapi", "asyncapi: 2.6.0\ninfo: {title: x}\n"),
        ("asyncapi", "openapi: 3.0.3\n"),
        ("graphql", "type Query { orders: [Order] "),
        ("graphql", "query { orders { id } }"),
        ("grpc", "message Order { string id = 1; "),
        ("grpc", "just some text"),
        ("openapi", "   "),
    ],
)
def test_definition_that_does_not_parse_for_its_type_fails(kind: str, definition: str) -> None:
    failures = rules.externalizable_failures(
        interface("x", type=kind, definition=definition, version="1", description="d", auth="mTLS")
    )
    assert failures and failures[0].startswith("definition:")


@pytest.mark.parametrize(
    ("kind", "definition"),
    [
        ("graphql", '"""Orders"""\ntype Query { order(id: ID!): Order }\n# comment with {\ntype Order { id: ID! }'),
        ("grpc", 'syntax = "proto3";\n// a { in a comment\nservice Orders { rpc Get (R) returns (R); }\nmessage R {}'),
        ("asyncapi", '{"asyncapi": "3.0.0", "info": {"title": "e", "version": "1"}}'),
        ("trpc", "export const appRouter = router({})"),
    ],
)
def test_definitions_of_any_technology_parse(kind: str, definition: str) -> None:
    api = interface("x", type=kind, definition=definition, version="1", description="d", auth="token")
    assert rules.externalizable_failures(api) == []


def test_protobuf_package_version_counts_as_a_version() -> None:
    definition = 'syntax = "proto3";\npackage shop.orders.v2;\nservice Orders {}\n'
    api = interface("x", type="grpc", definition=definition, description="d", auth="mTLS")
    assert rules.externalizable_failures(api) == []


def test_unresolved_url_definition_is_not_judged_on_what_cannot_be_seen() -> None:
    api = interface("x", definition=UnresolvedDefinition("https://example.com/openapi.yaml"))
    assert rules.externalizable_failures(api) == []


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("http://localhost:8080", True),
        ("https://127.0.0.2/api", True),
        ("http://10.1.2.3", True),
        ("http://172.16.5.4", True),
        ("http://172.32.5.4", False),
        ("http://192.168.0.10:80", True),
        ("http://[::1]:8080", True),
        ("https://orders.internal/v1", True),
        ("https://printer.local", True),
        ("https://wiki.acme.corp", True),
        ("https://nas.lan", True),
        ("http://orders-service:8080", True),
        ("https://api.example.com/v1", False),
        ("/v1", False),
        ("https://{region}.example.com", False),
        ("kafka.example.com:9093", False),
    ],
)
def test_addresses_that_only_work_inside_a_network(address: str, internal: bool) -> None:
    assert rules.is_internal_address(address) is internal


def test_server_variables_are_filled_with_their_defaults() -> None:
    definition = OPENAPI.replace(
        'servers: [{url: "https://api.example.com/orders"}]',
        "servers: [{url: 'https://{host}/v1', variables: {host: {default: 'orders.internal'}}}]",
    )
    assert rules.externalizable_failures(interface("x", definition=definition))[0].startswith("address")


def test_swagger_host_and_security_definitions_are_read() -> None:
    definition = (
        "swagger: '2.0'\ninfo: {title: x, version: '1', description: d}\nhost: 192.168.1.20\n"
        "securityDefinitions: {key: {type: apiKey, name: X-Key, in: header}}\npaths: {}\n"
    )
    assert [f.split(":")[0] for f in rules.externalizable_failures(interface("x", definition=definition))] == [
        "address"
    ]


# -- dangling references -------------------------------------------------------------------------------------------


def test_dangling_references_are_warnings_not_crashes() -> None:
    snapshot = base(
        teams=(team("orders", "ann", leader="user:default/ghost"),),
        edges=(edge("orders-service", "consumes", "missing-api"), edge("orders-service", "links", "missing")),
        datastores=(datastore("db", "nowhere"),),
    )
    findings = rules.check_dangling_references(snapshot)
    assert {finding.details[0] for finding in findings} == {"leader", "consumes", "links", "owner-service"}
    assert all(finding.severity == "warning" for finding in findings)
    assert ("org/no-stl", "group:default/orders") not in found(snapshot)


# -- waivers -------------------------------------------------------------------------------------------------------


def back_door_snapshot(approver: str, expires: date = date(2099, 1, 1), related: str | None = None) -> CatalogSnapshot:
    waiver = WaiverFact(
        "component:default/orders-service",
        "mandate/back-door",
        "migrating",
        expires,
        f"user:default/{approver}",
        related,
    )
    return base(edges=(edge("orders-service", "accesses", "ledger-db"),), waivers=(waiver,))


def test_valid_waiver_from_an_independent_bar_raiser_waives_the_finding() -> None:
    evaluation = rules.assess(back_door_snapshot("eve"), today=TODAY)
    (finding,) = evaluation.findings
    assert finding.waived and not finding.blocking
    assert evaluation.invalid_waivers == ()


def test_waiver_narrowed_to_another_related_reference_does_not_apply() -> None:
    (finding,) = rules.evaluate(back_door_snapshot("eve", related="resource:default/other-db"), today=TODAY)
    assert not finding.waived


def test_expired_waiver_is_an_error_and_no_longer_waives() -> None:
    findings = rules.evaluate(back_door_snapshot("eve", expires=date(2025, 5, 31)), today=TODAY)
    assert {(finding.rule, finding.waived) for finding in findings} == {
        ("mandate/back-door", False),
        ("waiver/expired", False),
    }


def test_waiver_expiring_today_still_applies() -> None:
    findings = rules.evaluate(back_door_snapshot("eve", expires=TODAY), today=TODAY)
    assert [(finding.rule, finding.waived) for finding in findings] == [("mandate/back-door", True)]


@pytest.mark.parametrize(
    ("approver", "problem"),
    [
        ("bob", "not independent: is on team orders"),  # a member of the subject's team
        ("ceo", "not independent: manages the leader of team orders"),
        ("dee", "not in the bar-raiser pool"),
        ("nobody", "not in the catalog"),
    ],
)
def test_waiver_from_an_approver_who_may_not_grant_it_does_not_apply(approver: str, problem: str) -> None:
    evaluation = rules.assess(back_door_snapshot(approver), today=TODAY)
    (finding,) = evaluation.findings
    assert not finding.waived
    (invalid,) = evaluation.invalid_waivers
    assert problem in invalid.reason


def test_independence_looks_down_the_management_chain_too() -> None:
    snapshot = base(people=(*base().people, person("fay", "ann", bar_raiser=True)))
    index = rules.build_index(snapshot)
    problem = rules.approver_problem(index, "user:default/fay", "group:default/orders")
    assert problem == "reports to the leader of team orders"
    assert rules.approver_problem(index, "user:default/eve", "group:default/orders") is None


def test_bar_raiser_trained_after_today_is_not_yet_in_the_pool() -> None:
    late = replace(person("eve", "ceo"), bar_raiser_since=date(2026, 1, 1))
    people = tuple(p for p in base().people if p.name != "eve") + (late,)
    evaluation = rules.assess(replace(back_door_snapshot("eve"), people=people), today=TODAY)
    assert "pool" in evaluation.invalid_waivers[0].reason


# -- evaluation and the Conway report ----------------------------------------------------------------------------


def test_evaluation_order_is_deterministic() -> None:
    snapshot = base(
        edges=(edge("payments-service", "accesses", "orders-db"), edge("orders-service", "accesses", "ledger-db")),
        teams=(team("orders", "ann"), team("payments", "cy", leader=None)),
    )
    first = rules.evaluate(snapshot, today=TODAY)
    second = rules.evaluate(replace(snapshot, edges=tuple(reversed(snapshot.edges))), today=TODAY)
    assert first == second
    assert [finding.rule for finding in first] == sorted(finding.rule for finding in first)


def test_summary_counts_unwaived_errors_warnings_and_waived() -> None:
    findings = rules.evaluate(back_door_snapshot("eve"), today=TODAY)
    assert rules.summarize(findings) == {"errors": 0, "warnings": 0, "waived": 1, "by_rule": {"mandate/back-door": 1}}


def test_conway_report_counts_cross_team_edges_fan_in_fan_out_and_coupling_across_org_units() -> None:
    edges = (
        edge("orders-service", "consumes", "payments-api"),
        edge("orders-service", "accesses", "ledger-db"),
        edge("orders-service", "accesses", "orders-db"),  # same team: not in the graph
    )
    report = rules.conway(base(edges=edges))
    (link,) = report.links
    assert (link.source, link.target, link.consumes, link.accesses, link.links) == (
        "group:default/orders",
        "group:default/payments",
        1,
        1,
        0,
    )
    degrees = {degree.team: (degree.fan_in, degree.fan_out) for degree in report.degrees}
    assert degrees == {"group:default/orders": (0, 1), "group:default/payments": (1, 0)}
    (pair,) = report.coupled_pairs
    assert (pair.org_unit_a, pair.org_unit_b, pair.edges, pair.tight) == (
        "group:default/commerce",
        "group:default/finance",
        2,
        True,
    )


def test_conway_report_has_no_pair_for_teams_in_one_org_unit() -> None:
    teams = (team("orders", "ann", unit="commerce"), team("payments", "cy", unit="commerce"))
    report = rules.conway(base(teams=teams, edges=(edge("orders-service", "consumes", "payments-api"),)))
    assert len(report.links) == 1 and report.coupled_pairs == ()


def test_rules_scale_linearly_on_a_large_snapshot() -> None:
    """Not a timing test: a 20,000-service snapshot evaluates, which a quadratic rule would not in CI time."""
    teams = tuple(team(f"t{n}", f"p{n}") for n in range(2_000))
    services = tuple(service(f"s{n}", f"group:default/t{n % 2_000}") for n in range(20_000))
    edges = tuple(edge(f"s{n}", "links", f"s{(n * 7) % 20_000}") for n in range(20_000))
    findings = rules.evaluate(CatalogSnapshot(teams=teams, services=services, edges=edges), today=TODAY)
    assert any(finding.rule == "mandate/direct-link" for finding in findings)


def test_waiver_that_covers_no_finding_is_reported_as_unused() -> None:
    snapshot = replace(back_door_snapshot("eve"), edges=())  # the back door was fixed
    evaluation = rules.assess(snapshot, today=TODAY)
    assert evaluation.findings == ()
    assert [waiver.rule for waiver in evaluation.unused_waivers] == ["mandate/back-door"]

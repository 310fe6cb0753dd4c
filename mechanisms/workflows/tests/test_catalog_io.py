"""Export/import of the whole org and catalog: lossless, idempotent, all or nothing, every problem located."""

from __future__ import annotations

import copy

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.kernel.importing import ImportFailed
from mechanisms.org import services as org_services
from mechanisms.workflows.catalog_io import export_everything, import_everything
from mechanisms.workflows.demo import build_demo, load_demo

SYSTEM = Actor.system("test")


def _strip(doc):
    doc = copy.deepcopy(doc)
    doc.pop("exported_at", None)
    return doc


@pytest.mark.django_db
def test_export_then_import_reproduces_everything_and_changes_nothing():
    load_demo()
    exported = export_everything()
    report = import_everything(actor=SYSTEM, document=exported)
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert _strip(export_everything()) == _strip(exported)


@pytest.mark.django_db
def test_demo_import_into_an_empty_database_matches_its_export():
    document = build_demo()
    import_everything(actor=SYSTEM, document=document)
    exported = export_everything()
    assert {p["handle"] for p in exported["people"]} == {p["handle"] for p in document["people"]}
    assert {(d["service"], d["kind"], d["target"]) for d in exported["dependencies"]} == {
        (d["service"], d["kind"], d["target"]) for d in document["dependencies"]
    }
    teams = {t["slug"]: t for t in exported["teams"]}
    for team in document["teams"]:
        assert sorted(m["person"] for m in teams[team["slug"]]["members"]) == sorted(
            m["person"] for m in team["members"]
        )


@pytest.mark.django_db
def test_demo_is_deterministic_and_plants_the_breaches():
    assert build_demo() == build_demo()
    load_demo()
    report = org_services.check_org_rules(actor=Actor.system("test"))
    assert [t.slug for t in report.oversized] == ["search"]
    assert len(report.stl_breaches) == 1
    assert [t.slug for t in report.leaderless] == ["growth-experiments"]
    reco = catalog_services.get_service_by_name(actor=Actor.system("test"), name="recommendations-engine")
    orders = catalog_services.find_datastore(actor=Actor.system("test"), name="orders-db")
    edges = catalog_services.list_dependencies(actor=Actor.system("test"), service_id=reco.id, kind="accesses").items
    assert [e.datastore_id for e in edges] == [orders.id]


@pytest.mark.django_db
def test_the_demo_puts_its_bar_raisers_in_the_pool_trained_by_the_first_of_them():
    from mechanisms.bar_raisers import services as bar_raisers_services
    from mechanisms.workflows.demo import demo_pool

    load_demo()
    planned = demo_pool()
    members = {m.handle: m for m in bar_raisers_services.export_pool(actor=SYSTEM)}
    assert [(h, members[h].trained_on, members[h].capacity) for h, _, _ in planned] == planned
    first = planned[0][0]
    assert members[first].trainer_handle == "" and {members[h].trainer_handle for h, _, _ in planned[1:]} == {first}
    # The export writes them as every person's pool keys; people outside the pool have none.
    people = {p["handle"]: p for p in export_everything()["people"]}
    assert people[first]["bar_raiser_since"] == planned[0][1].isoformat()
    assert sum(1 for p in people.values() if p["bar_raiser_since"]) == len(planned)


@pytest.mark.django_db
def test_the_pool_keys_of_an_import_document_go_to_the_pool(small_org):
    from mechanisms.bar_raisers import services as bar_raisers_services

    document = export_everything()
    for person in document["people"]:
        if person["handle"] == "eve":
            person.update(bar_raiser_since="2024-02-01", bar_raiser_capacity=4)
        if person["handle"] == "hal":
            person.update(bar_raiser_since=None)
    import_everything(actor=SYSTEM, document=document)
    members = {m.handle: m for m in bar_raisers_services.export_pool(actor=SYSTEM)}
    assert (members["eve"].trained_on.isoformat(), members["eve"].capacity) == ("2024-02-01", 4)
    assert not members["hal"].active  # a null date takes a member out of the pool, keeping their history
    bad = export_everything()
    bad["people"][0]["bar_raiser_capacity"] = 99
    bad["people"][0]["bar_raiser_since"] = "2024-01-01"
    bad["people"][1]["bar_raiser_since"] = "last spring"
    with pytest.raises(ImportFailed) as caught:
        import_everything(actor=SYSTEM, document=bad)
    assert {(p.source, p.field) for p in caught.value.problems} == {
        ("people[0]", "bar_raiser_capacity"),
        ("people[1]", "bar_raiser_since"),
    }


@pytest.mark.django_db
def test_import_with_problems_changes_nothing_and_reports_every_problem_located():
    document = build_demo()
    document["people"][3]["email"] = "not-an-email"
    document["people"][5]["manager"] = "nobody.here"
    document["teams"][0]["org_unit"] = "no-such-unit"
    document["services"][2]["tier"] = "high"
    before = audit_services.list_changes(actor=SYSTEM, limit=1).total
    with pytest.raises(ImportFailed) as caught:
        import_everything(actor=SYSTEM, document=document)
    problems = {(p.source, p.field) for p in caught.value.problems}
    assert ("services[2]", "tier") in problems  # type errors are found before anything is validated further
    assert org_services.list_people(actor=Actor.system("test")).total == 0
    assert audit_services.list_changes(actor=SYSTEM, limit=1).total == before

    document["services"][2]["tier"] = 2
    with pytest.raises(ImportFailed) as caught:
        import_everything(actor=SYSTEM, document=document)
    problems = {(p.source, p.field) for p in caught.value.problems}
    assert {("people[3]", "email"), ("people[5]", "manager"), ("teams[0]", "org_unit")} <= problems
    assert (
        org_services.list_people(actor=Actor.system("test")).total == 0
        and catalog_services.catalog_counts(actor=Actor.system("test")).services == 0
    )


@pytest.mark.django_db
def test_unknown_fields_and_wrong_types_are_reported_with_their_location():
    document = {
        "format": "mechanisms/v1",
        "people": [{"handle": "a", "name": "A", "email": "a@x.test", "colour": "blue"}, "nonsense"],
        "teams": [{"slug": "t", "name": "T", "org_unit": "u", "members": [{"person": 3}]}],
    }
    with pytest.raises(ImportFailed) as caught:
        import_everything(actor=SYSTEM, document=document)
    problems = {(p.source, p.field) for p in caught.value.problems}
    assert ("people[0]", "colour") in problems
    assert ("people[1]", None) in problems
    assert ("teams[0].members[0]", "person") in problems


@pytest.mark.django_db
def test_reimport_updates_in_place_and_reports_what_the_source_no_longer_has():
    load_demo()
    document = build_demo()
    document["services"] = [s for s in document["services"] if s["name"] != "ratings-api"]
    document["dependencies"] = [d for d in document["dependencies"] if d["service"] != "ratings-api"]
    document["teams"][0]["charter"] = "A new charter."
    report = import_everything(actor=SYSTEM, document=document)
    assert report.updated["team"] == 1
    assert report.missing["service"] == ["ratings-api"]
    assert (
        catalog_services.get_service_by_name(actor=Actor.system("test"), name="ratings-api").lifecycle == "production"
    )
    report = import_everything(actor=SYSTEM, document=document, prune=True)
    assert report.removed["service"] == 1
    assert catalog_services.get_service_by_name(actor=Actor.system("test"), name="ratings-api").lifecycle == "retired"


@pytest.mark.django_db
def test_only_an_admin_may_import(small_org):
    with pytest.raises(PermissionDenied):
        import_everything(actor=small_org.actor("ann"), document={"format": "mechanisms/v1"})


@pytest.mark.django_db
def test_a_manager_cycle_in_the_input_is_refused():
    document = {
        "format": "mechanisms/v1",
        "people": [
            {"handle": "a", "name": "A", "email": "a@x.test", "manager": "b"},
            {"handle": "b", "name": "B", "email": "b@x.test", "manager": "a"},
        ],
    }
    with pytest.raises(ImportFailed) as caught:
        import_everything(actor=SYSTEM, document=document)
    assert {p.field for p in caught.value.problems} == {"manager"}


# ------------------------------------------------------------------------------------------------ export contracts

DOCUMENT_KEYS = {
    "people": [
        "handle",
        "name",
        "email",
        "manager",
        "title",
        "discipline",
        "active",
        "bar_raiser_since",
        "bar_raiser_capacity",
    ],
    "org_units": ["slug", "name", "kind", "parent", "leader"],
    "teams": ["slug", "name", "org_unit", "charter", "status", "leader", "created_on", "dissolved_on", "members"],
    "services": [
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
    ],
    "interfaces": [
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
    ],
    "datastores": ["name", "owner_service", "type", "description"],
    "dependencies": ["service", "kind", "target", "access", "description"],
}


def _with_history(small_org):
    """The small org plus what the plain fixture lacks: a bar raiser, an ended ownership period, an edge."""
    import datetime as dt

    from mechanisms.bar_raisers import services as bar_raisers_services

    bob = small_org.people["bob"]
    bar_raisers_services.add_to_pool(actor=SYSTEM, person_id=bob.id, trained_on=dt.date(2024, 3, 1), capacity=2)
    svc = small_org.services["checkout-api"]
    catalog_services.transfer_service(
        actor=SYSTEM, service_id=svc.id, version=svc.version, to_team_id=small_org.teams["payments"].id, reason="x"
    )
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["identity-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["ledger-db"].id,
        access="read",
    )


@pytest.mark.django_db
def test_the_exported_document_keeps_its_keys_in_their_order(small_org):
    _with_history(small_org)
    document = export_everything()
    assert list(document) == ["format", "exported_at", *DOCUMENT_KEYS]
    for section, keys in DOCUMENT_KEYS.items():
        assert document[section], section
        assert {tuple(item) for item in document[section]} == {tuple(keys)}, section
    teams = {t["slug"]: t for t in document["teams"]}
    assert list(teams["checkout"]["members"][0]) == ["person", "role", "joined_on"]
    ownership = next(s for s in document["services"] if s["name"] == "checkout-api")["ownership"]
    assert [list(p) for p in ownership] == [["team", "started_at", "ended_at", "reason"]] * 2
    assert ownership[0]["ended_at"] is not None and isinstance(ownership[0]["started_at"], str)
    bob = next(p for p in document["people"] if p["handle"] == "bob")
    assert (bob["bar_raiser_since"], bob["bar_raiser_capacity"]) == ("2024-03-01", 2)


@pytest.mark.django_db
def test_export_import_export_is_identical_byte_for_byte(small_org):
    import json

    _with_history(small_org)
    first = export_everything()
    report = import_everything(actor=SYSTEM, document=json.loads(json.dumps(first)))
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0

    def dump(doc) -> str:
        return json.dumps(_strip(doc), indent=2, ensure_ascii=False)

    assert dump(export_everything()) == dump(first)


@pytest.mark.django_db
def test_the_org_export_is_records_that_the_org_import_reads_back(small_org):
    from mechanisms.org.contracts import OrgExport, PersonRecord

    exported = org_services.export_org(actor=Actor.system("test"))
    assert isinstance(exported, OrgExport) and all(isinstance(p, PersonRecord) for p in exported.people)
    report = org_services.import_org(
        actor=SYSTEM, people=list(exported.people), org_units=list(exported.org_units), teams=list(exported.teams)
    )
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert org_services.export_org(actor=Actor.system("test")) == exported


@pytest.mark.django_db
def test_the_catalog_export_is_records_that_the_catalog_import_reads_back(small_org):
    _with_history(small_org)
    exported = catalog_services.export_catalog(actor=Actor.system("test"))
    report = catalog_services.import_catalog(
        actor=SYSTEM,
        services=list(exported.services),
        interfaces=list(exported.interfaces),
        datastores=list(exported.datastores),
        dependencies=list(exported.dependencies),
    )
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert catalog_services.export_catalog(actor=Actor.system("test")) == exported


@pytest.mark.django_db
def test_an_org_export_for_some_teams_holds_only_those_teams_and_everyone(small_org):
    payments = small_org.teams["payments"]
    part = org_services.export_org(actor=Actor.system("test"), team_ids=[payments.id])
    assert [t.slug for t in part.teams] == ["payments"]
    assert [m.person for m in part.teams[0].members] == ["dan", "eve"]
    assert part.people == org_services.export_org(actor=Actor.system("test")).people


@pytest.mark.django_db
def test_a_catalog_export_for_some_teams_is_their_neighbourhood_without_history(small_org):
    _with_history(small_org)
    identity = small_org.teams["identity"]
    part = catalog_services.export_catalog(actor=Actor.system("test"), team_ids=[identity.id])
    # identity-api reads ledger-db, owned by payments-api: both ends are in the neighbourhood, checkout-api is not.
    assert [s.name for s in part.services] == ["identity-api", "payments-api"]
    assert [(d.service, d.kind, d.target) for d in part.dependencies] == [("identity-api", "accesses", "ledger-db")]
    assert all(s.ownership == () for s in part.services)

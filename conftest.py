"""Shared pytest fixtures. Data is created through the apps' public services, never through models."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import PASSWORD


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Fixture orgs make a dozen accounts; the production hasher would spend seconds per test on them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Notices are sent right after commit in the test's own thread, so what a test sends is done when it asserts.
    settings.NOTIFICATIONS_DISPATCH = "inline"
    # Tasks (a subscriber's re-evaluation, a scheduled job) run at once in the test's thread; the worker's own
    # tests switch to the database backend (mechanisms/kernel/tests/test_worker.py).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Relations are cached per request; a test's rolled-back data must not answer the next test's questions.
    from mechanisms.org import services as org_services

    org_services.forget_relations()


@pytest.fixture(autouse=True)
def _own_data_connection(tmp_path, settings):
    """Every test's "default" data connection is its own DuckDB file (created on first use) in the test's tmp_path:
    the demo and the experiments write exposures and events there, and tests running in parallel must never share
    (or lock) the product's var/metrics.duckdb. Returns the file's path (the experiments' tests
    name it `duckdb_warehouse`)."""
    path = tmp_path / "warehouse.duckdb"
    settings.MECH_METRICS_CONNECTIONS = {"default": {"engine": "duckdb", "path": str(path)}}
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Let the live-server tests' database flush empty the append-only audit table, then restore its guard.

    pytest-django empties the database after each transactional test (`flush`: DELETE on SQLite, TRUNCATE on
    PostgreSQL), which the audit table's triggers rightly refuse. The triggers are set aside around the fixture
    teardown that flushes and put back, exactly as they were, before the next test runs."""
    from pytest_django.plugin import blocking_manager_key

    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(item.fixturenames)
    )
    if not transactional:
        yield
        return
    blocker = item.config.stash[blocking_manager_key]
    with blocker.unblock():
        restore = _set_aside_triggers()
    try:
        yield
    finally:
        # After the session's last test the test database is gone: nothing to restore, and the connection may
        # point at the real database again, which must never be touched.
        if nextitem is not None:
            with blocker.unblock():
                restore()


def _set_aside_triggers():
    from django.db import connection

    database = connection.settings_dict["NAME"]

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
            for name, _ in triggers:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')

        def restore():
            if connection.settings_dict["NAME"] != database:
                return
            with connection.cursor() as cursor:
                for _, sql in triggers:
                    cursor.execute(sql)

        return restore
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
            tables = [row[0] for row in cursor.fetchall()]
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")

        def restore():
            if connection.settings_dict["NAME"] != database:
                return
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

        return restore
    return lambda: None


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("test")


@dataclass
class SmallOrg:
    """A small org: a company with two org units, three teams, people with accounts, and a catalog.

    retail: checkout (leader ann; members ann, bob, cat) owns checkout-api (interface checkout-http, datastore
    orders-db); payments (leader dan; members dan, eve) owns payments-api (interface payments-http, datastore
    ledger-db). platform: identity (leader fay; members fay, gus) owns identity-api. Reporting: ceo <- vp-retail
    <- (ann, dan); ceo <- vp-platform <- fay; ann <- bob, cat; dan <- eve; fay <- gus. hal is a bar raiser in
    platform with no team (in the bar-raiser pool since 2024-01-01, capacity 3). Every person has an account named
    after their handle, password 'password123'; 'admin' is an admin account without a person.
    """

    units: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)
    services: dict = field(default_factory=dict)
    interfaces: dict = field(default_factory=dict)
    datastores: dict = field(default_factory=dict)
    actors: dict = field(default_factory=dict)

    def actor(self, handle: str) -> Actor:
        return self.actors[handle]


def build_small_org() -> SmallOrg:
    import datetime as dt

    from mechanisms.bar_raisers import services as bar_raisers
    from mechanisms.catalog import services as catalog
    from mechanisms.org import services as org

    system = Actor.system("fixture")
    o = SmallOrg()
    o.units["acme"] = org.create_org_unit(actor=system, slug="acme", name="Acme", kind="company")
    o.units["retail"] = org.create_org_unit(actor=system, slug="retail", name="Retail", parent_id=o.units["acme"].id)
    o.units["platform"] = org.create_org_unit(
        actor=system, slug="platform", name="Platform", parent_id=o.units["acme"].id
    )
    reporting = [
        ("ceo", "Casey Ortiz", None),
        ("vp-retail", "Rita Vance", "ceo"),
        ("vp-platform", "Paul Vega", "ceo"),
        ("ann", "Ann Lee", "vp-retail"),
        ("dan", "Dan Cho", "vp-retail"),
        ("fay", "Fay Ngata", "vp-platform"),
        ("bob", "Bob Ruiz", "ann"),
        ("cat", "Cat Moss", "ann"),
        ("eve", "Eve Park", "dan"),
        ("gus", "Gus Hale", "fay"),
        ("hal", "Hal Berg", "vp-platform"),
    ]
    for handle, name, manager in reporting:
        o.people[handle] = org.create_person(
            actor=system,
            handle=handle,
            name=name,
            email=f"{handle}@acme.test",
            manager_id=o.people[manager].id if manager else None,
        )
    bar_raisers.add_to_pool(actor=system, person_id=o.people["hal"].id, trained_on=dt.date(2024, 1, 1), capacity=3)
    teams = [
        ("checkout", "Checkout", "retail", "ann", ["ann", "bob", "cat"]),
        ("payments", "Payments", "retail", "dan", ["dan", "eve"]),
        ("identity", "Identity", "platform", "fay", ["fay", "gus"]),
    ]
    for slug, name, unit, leader, members in teams:
        team = org.create_team(
            actor=system,
            slug=slug,
            name=name,
            org_unit_id=o.units[unit].id,
            leader_id=o.people[leader].id,
            charter=f"{name} for our customers.",
        )
        for member in members:
            org.add_member(actor=system, team_id=team.id, person_id=o.people[member].id)
        o.teams[slug] = org.get_team(actor=Actor.system("test"), team_id=team.id)
    for svc, team, api, store in [
        ("checkout-api", "checkout", "checkout-http", "orders-db"),
        ("payments-api", "payments", "payments-http", "ledger-db"),
        ("identity-api", "identity", "identity-http", None),
    ]:
        o.services[svc] = catalog.create_service(
            actor=system, name=svc, owner_team_id=o.teams[team].id, description=f"The {svc} service."
        )
        o.interfaces[api] = catalog.create_interface(
            actor=system, service_id=o.services[svc].id, name=api, api_version="1.0", auth_scheme="oauth2"
        )
        if store:
            o.datastores[store] = catalog.create_datastore(
                actor=system, name=store, owner_service_id=o.services[svc].id
            )
    for handle, person in o.people.items():
        account = org.create_account(actor=system, username=handle, password=PASSWORD, person_id=person.id)
        o.actors[handle] = Actor(user_id=account.user_id, person_id=person.id, label=handle)
    admin = org.create_account(actor=system, username="admin", password=PASSWORD, is_admin=True)
    o.actors["admin"] = Actor(user_id=admin.user_id, person_id=None, label="admin", is_admin=True)
    return o


@pytest.fixture
def database_tasks(settings):
    """Tasks go to the database queue, as served, and run only when a worker runs them (docs/worker.md)."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "OPTIONS": {"id_function": "mechanisms.kernel.schedule.task_id"},
        }
    }


@pytest.fixture
def small_org(db) -> SmallOrg:
    return build_small_org()


@pytest.fixture
def api_client(small_org):
    """A function giving a Django test client signed in by bearer token as one of the small org's accounts."""
    from django.test import Client

    from mechanisms.org import services as org

    def make(handle: str | None) -> Client:
        if handle is None:
            return Client()
        token = org.issue_api_token(actor=small_org.actor(handle), name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}")

    return make


@pytest.fixture
def as_(api_client):
    """as_("bob") is a client authenticated by bob's bearer token; clients are made once per test."""
    made: dict = {}

    def get(handle: str):
        if handle not in made:
            made[handle] = api_client(handle)
        return made[handle]

    return get

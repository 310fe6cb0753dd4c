"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser) against
pytest-django's live server, which serves static files through the finders (node_modules after `npm install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a running
# loop unless told that this is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
PASSWORD = "password123"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Let the live-server tests' database flush empty the append-only audit table, then restore its guard.

    pytest-django empties the database after each transactional test (`flush`: DELETE on SQLite, TRUNCATE on
    PostgreSQL), which the audit table's triggers rightly refuse. The triggers are set aside around the fixture
    teardown that flushes and put back, exactly as they were, before the next test runs."""
    from pytest_django.plugin import blocking_manager_key

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


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright for Python")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The fixture's dozen accounts with Django's real hasher cost seconds per test; hashing is not tested here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site(live_server, small_org):
    """The live server's address, with the small org loaded (through services, in a transactional database)."""
    return live_server.url


@pytest.fixture
def page(browser, site):
    """A fresh browser tab (own cookies) that records every failed response it sees."""
    context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.failed_responses = []
    tab.on("response", lambda r: tab.failed_responses.append((r.status, r.url)) if r.status >= 400 else None)
    yield tab
    context.close()


@pytest.fixture
def sign_in():
    """sign_in(page, handle): sign in through the sign-in form, as a person would."""

    def do(tab, handle: str) -> None:
        tab.goto("/signin")
        tab.get_by_label("Username").fill(handle)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url(lambda url: "/signin" not in url)

    return do

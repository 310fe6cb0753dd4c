"""Browser tests: Playwright for Python driving Debian's Chromium (never a downloaded browser) against
pytest-django's live server, which serves static files through the finders (node_modules after `npm install`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mechanisms.kernel.testing import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a running
# loop unless told that this is safe (it is: the loop only drives the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright for Python")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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

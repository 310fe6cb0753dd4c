"""Test helpers shared by every app's tests (no fixtures here: those are in the root conftest.py)."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable

from django.db import connection, connections
from django.test import Client

from .errors import Conflict

PASSWORD = "password123"


def signed_in(handle: str, password: str = PASSWORD) -> Client:
    """A test client signed in through the session, as a person would in the browser."""
    client = Client()
    assert client.login(username=handle, password=password)
    return client


def page_text(response) -> str:
    """The page as plain text: tags removed, entities decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(body)).replace(" ,", ",")


def field_error(response, field_id: str) -> str:
    """The error shown next to one form field (the <small> inside that field's label), or ''."""
    match = re.search(
        rf'<small class="field-error" id="{re.escape(field_id)}_error">(.*?)</small>', response.content.decode(), re.S
    )
    return html.unescape(match.group(1)).strip() if match else ""


def error_of(response) -> dict:
    """The API error body `{"error": {"code", "message", "details"}}`, checked for its shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "details"} <= set(body["error"])
    return body["error"]


def field_of(response) -> str | None:
    """The field an API error names, or None."""
    return (error_of(response)["details"] or {}).get("field")


def at_the_same_time(write: Callable[[str], object], handles=("bob", "cat")) -> dict[str, str]:
    """Run `write(handle)` in one thread per handle, released together once all are ready; each thread's outcome
    is "ok", "conflict", or the unexpected exception (so a database error fails the test with its cause)."""
    # SQLite tests run on a file database (config/settings.py), as served, so the writers really race here too.
    assert not (connection.vendor == "sqlite" and connection.is_in_memory_db()), "race tests need a file database"
    ready = threading.Barrier(len(handles))
    outcomes: dict[str, str] = {}

    def run(handle: str) -> None:
        try:
            ready.wait(timeout=10)
            write(handle)
            outcomes[handle] = "ok"
        except Conflict:
            outcomes[handle] = "conflict"
        except Exception as exc:
            outcomes[handle] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(handle,)) for handle in handles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes

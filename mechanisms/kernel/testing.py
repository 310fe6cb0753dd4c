"""Test helpers shared by every app's tests (no fixtures here: those are in the root conftest.py)."""

from __future__ import annotations

import html
import re

from django.test import Client

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

"""Correlation id: ties every change record written during one request or command together.

The id is always made by the server. A caller's X-Request-ID is kept apart (`client_request_id`) so the caller
can find their own request in the log, but it never names the correlation id: otherwise anyone could pick an id
(say "1") and read, or mix their changes into, someone else's request."""

from __future__ import annotations

import contextvars
import re
import uuid

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_client: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_request_id", default=None)

CLIENT_ID_MAX = 64
# Printable ASCII only: the value is stored, logged and shown, and must not smuggle control characters.
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")


def current() -> str:
    value = _current.get()
    if value is None:
        value = new_id()
        _current.set(value)
    return value


def client_request_id() -> str | None:
    """The caller's own X-Request-ID for the current request, sanitized; None outside a request or when absent."""
    return _client.get()


def new_id() -> str:
    return uuid.uuid4().hex


def sanitize_client_id(value: str | None) -> str | None:
    """A caller's request id as stored: printable ASCII without spaces, at most 64 characters, or None."""
    if not value:
        return None
    cleaned = _UNPRINTABLE.sub("", value)[:CLIENT_ID_MAX]
    return cleaned or None


def begin(value: str | None = None) -> contextvars.Token:
    """Start a correlation scope (a command, a task). A value is for the product's own code, never a caller's."""
    return _current.set(value or new_id())


def end(token: contextvars.Token) -> None:
    _current.reset(token)


class CorrelationMiddleware:
    """Makes a fresh correlation id per request and echoes it as X-Request-ID; keeps the caller's header apart."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = begin()
        client_token = _client.set(sanitize_client_id(request.headers.get("X-Request-ID")))
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = current()
            return response
        finally:
            _client.reset(client_token)
            end(token)

"""Correlation id: ties every change record written during one request or command together."""

from __future__ import annotations

import contextvars
import uuid

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


def current() -> str:
    value = _current.get()
    if value is None:
        value = uuid.uuid4().hex
        _current.set(value)
    return value


def begin(value: str | None = None) -> contextvars.Token:
    return _current.set(value or uuid.uuid4().hex)


def end(token: contextvars.Token) -> None:
    _current.reset(token)


class CorrelationMiddleware:
    """Takes X-Request-ID from the caller when given, else makes one; echoes it on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        token = begin(incoming[:64] if incoming.isascii() and incoming.strip() else None)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = current()
            return response
        finally:
            end(token)

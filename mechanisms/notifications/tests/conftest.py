"""Fixtures of the notifications tests: deliveries sent inline after the commit, and a real local webhook server."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture(autouse=True)
def inline_dispatch(settings):
    """Send after the commit in the test's own thread, so a test sees the outcome; links under a known base."""
    settings.NOTIFICATIONS_DISPATCH = "inline"
    settings.NOTIFICATIONS_RETRY_SECONDS = 60
    settings.MECH_BASE_URL = "https://mech.example.test"
    settings.MECH_CHAT_WEBHOOK_URL = ""
    settings.MECH_CHAT_WEBHOOK_HOSTS = ["127.0.0.1", "hooks.slack.com"]  # the local test webhook is a chat service


@dataclass
class Webhook:
    """A Slack-like webhook on 127.0.0.1: records every POST and answers with `status`."""

    url: str
    status: int = 200
    received: list[dict] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)


@pytest.fixture
def webhook():
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            hook.received.append(json.loads(self.rfile.read(length) or b"null"))
            hook.paths.append(self.path)
            hook.content_types.append(self.headers.get("Content-Type", ""))
            self.send_response(hook.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if hook.status < 300 else b"no")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def refused_url():
    """A URL on a port nobody listens on: the connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"

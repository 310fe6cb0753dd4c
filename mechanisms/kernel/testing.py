"""Test helpers shared by every app's tests (no fixtures here: those are in the root conftest.py)."""

from __future__ import annotations

import html
import json
import re
import textwrap
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


# ---------------------------------------------------------------------------------------------- authorization matrix
#
# Who may see and do what, tested as a table: roles (rows) x records (columns), each cell the outcome expected at
# every door (API, pages, CLI, exports, history, search, notification bodies). Every cell is run and ALL mismatches
# are reported in one assertion message, so one run shows the whole shape of a policy bug.
#
#     check_matrix(
#         """
#                   checkout  payments
#         member    allowed   403
#         anonymous 401       401
#         """,
#         doors=[api_door(lambda team: f"/api/v1/teams/{team.id}", client_for=as_)],
#         records={"checkout": checkout, "payments": payments},
#         roles={"member": "bob", "anonymous": None},
#     )
#
# Outcomes: `allowed` (the door answered: 2xx, a redirect after a write, exit 0, the record listed), `404` (hidden:
# not found, not listed, not in the body), `403` (refused, naming the rule), `401` (not signed in: a 401, or a page
# that sends you to sign in). A door's `probe(handle, record)` returns one of them (or a description of anything
# else, which then shows in the report). For writes, `unchanged(record)` is read before and after every cell whose
# outcome is not `allowed`: if it differs (a version, an audit count), the cell is reported as a change.

ALLOWED, HIDDEN, FORBIDDEN, SIGNED_OUT = "allowed", "404", "403", "401"
OUTCOMES = (ALLOWED, HIDDEN, FORBIDDEN, SIGNED_OUT)


@dataclass(frozen=True)
class Door:
    """One way in: `probe(handle, record)` tries it as that person's account (None: nobody signed in)."""

    name: str
    probe: Callable[[str | None, Any], str]
    # Called before the cell's "unchanged" snapshot: signing in (issuing a token is itself audited) is not the write.
    prepare: Callable[[str | None], object] = lambda handle: None


def outcome_of_status(status: int, *, location: str = "") -> str:
    """An HTTP status as a matrix outcome; a redirect to the sign-in page is `401`."""
    if status in (301, 302, 303) and "signin" in location:
        return SIGNED_OUT
    if 200 <= status < 400:
        return ALLOWED
    if status in (401, 403, 404):
        return str(status)
    return f"HTTP {status}"


def api_door(
    path: Callable[[Any], str],
    *,
    client_for: Callable[[str], Client],
    method: str = "get",
    body: Callable[[Any], dict] | None = None,
    name: str = "api",
) -> Door:
    """An API call with the handle's bearer token (`client_for`, e.g. the root `as_` fixture)."""

    def probe(handle: str | None, record: Any) -> str:
        client = client_for(handle) if handle else Client()
        call = getattr(client, method)
        if body is None:
            response = call(path(record))
        else:
            response = call(path(record), json.dumps(body(record)), content_type="application/json")
        return outcome_of_status(response.status_code)

    return Door(name, probe, prepare=lambda handle: client_for(handle) if handle else None)


def page_door(
    path: Callable[[Any], str],
    *,
    method: str = "get",
    data: Callable[[Any], dict] | None = None,
    name: str = "page",
) -> Door:
    """A page fetched (or a form posted) through a client signed in by session, as in the browser."""
    clients: dict[str, Client] = {}

    def client(handle: str | None) -> Client:
        if handle is None:
            return Client()
        if handle not in clients:
            clients[handle] = signed_in(handle)
        return clients[handle]

    def probe(handle: str | None, record: Any) -> str:
        response = getattr(client(handle), method)(path(record), data(record) if data else None)
        return outcome_of_status(response.status_code, location=response.get("Location", ""))

    return Door(name, probe, prepare=client)


def cli_door(
    app: Any,
    args: Callable[[Any], list[str]],
    *,
    name: str = "cli",
    as_option: str = "--as",
    operator: str = "admin",
) -> Door:
    """A CLI command run through typer's CliRunner with `--as HANDLE`; the outcome is read from its exit code and
    its error message (a refusal says "only ..."/"may", a hidden record "does not exist"/"no ...").

    The CLI runs on the server: without `--as` it acts as the product itself, so the `operator` handle (an admin
    account without a person) and None both run it without `--as`; leave the anonymous row out of a CLI matrix."""
    from typer.testing import CliRunner

    runner = CliRunner()

    def probe(handle: str | None, record: Any) -> str:
        acting = [as_option, handle] if handle and handle != operator else []
        result = runner.invoke(app, [*args(record), *acting])
        if result.exit_code == 0:
            return ALLOWED
        text = result.output.lower()
        if "sign in" in text:
            return SIGNED_OUT
        if re.search(r"\bonly\b|\bmay\b|not allowed", text):
            return FORBIDDEN
        if "does not exist" in text or "not found" in text or re.search(r"\bno \w+", text):
            return HIDDEN
        return f"exit {result.exit_code}: {result.output.strip()[:200]}"

    return Door(name, probe)


def listing_door(listed: Callable[[str | None, Any], bool], *, name: str) -> Door:
    """A read that must or must not show the record (search, a list, an export, an inbox body): listed is
    `allowed`, absent is `404` (hidden). `listed(handle, record)` does the read and says whether it is there."""
    return Door(name, lambda handle, record: ALLOWED if listed(handle, record) else HIDDEN)


def check_matrix(
    table: str,
    *,
    doors: Sequence[Door],
    records: Mapping[str, Any],
    roles: Mapping[str, str | None] | None = None,
    unchanged: Callable[[Any], Any] | None = None,
) -> None:
    """Run every (role, record, door) cell of `table` and fail with every mismatch at once.

    `table`: a header line naming the records (keys of `records`), then one line per role: its name (a key of
    `roles`, which maps it to a handle or None for nobody signed in; without `roles` the name is the handle) and
    one outcome per record. Rows run in order, so put the roles whose writes succeed last."""
    lines = [line.split() for line in textwrap.dedent(table).strip().splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    unknown = [name for name in header if name not in records]
    assert not unknown, f"the matrix names records it was not given: {unknown}"
    mismatches: list[str] = []
    for row in rows:
        role, wanted = row[0], row[1:]
        assert len(wanted) == len(header), f"row {role!r} has {len(wanted)} cells for {len(header)} records"
        handle = None if role == "anonymous" else (roles or {}).get(role, role)
        for name, want in zip(header, wanted, strict=True):
            assert want in OUTCOMES, f"row {role!r}: {want!r} is not one of {OUTCOMES}"
            record = records[name]
            for door in doors:
                door.prepare(handle)
                before = unchanged(record) if unchanged else None
                try:
                    got = door.probe(handle, record)
                except Exception as exc:  # a crash is a finding of the matrix, reported with the others
                    got = f"raised {exc!r}"
                if got != want:
                    mismatches.append(f"{role} x {name} x {door.name}: expected {want}, got {got}")
                if unchanged and got != ALLOWED:
                    after = unchanged(record)
                    if after != before:
                        mismatches.append(
                            f"{role} x {name} x {door.name}: refused ({got}) but changed {before}->{after}"
                        )
    assert not mismatches, f"{len(mismatches)} authorization matrix mismatch(es):\n" + "\n".join(mismatches)


# ---------------------------------------------------------------------------------------------- PDF scanning
#
# A PDF's objects are mostly inside compressed streams (object streams included), so a scan for active content
# that reads the raw bytes sees nothing. `pdf_opened` inflates every FlateDecode stream and appends it; the
# scanners read that.

PDF_ACTIVE_NAMES = (
    "JavaScript",
    "JS",
    "Launch",
    "OpenAction",
    "AA",
    "SubmitForm",
    "ImportData",
    "GoToR",
    "GoToE",
    "RichMedia",
    "EmbeddedFile",
    "AcroForm",
    "XFA",
)


def pdf_opened(pdf: bytes) -> bytes:
    """The PDF's bytes followed by every stream it holds, inflated where it is FlateDecode (zlib)."""
    import zlib

    parts = [pdf]
    for match in re.finditer(rb"(?<!end)stream\r?\n", pdf):
        start = match.end()
        end = pdf.find(b"endstream", start)
        if end == -1:
            continue
        raw = pdf[start:end]
        try:
            parts.append(zlib.decompressobj().decompress(raw))
        except zlib.error:
            parts.append(raw)
    return b"\n".join(parts)


def pdf_threats(pdf: bytes) -> list[str]:
    """Everything in a PDF that acts rather than shows: the names of PDF_ACTIVE_NAMES (scripts, launch, auto
    actions, form submission, embedded files, forms) and URI actions whose scheme is not http, https or mailto
    (after PDF string escapes, whitespace and control characters are taken out)."""
    body = pdf_opened(pdf)
    found = [f"/{name}" for name in PDF_ACTIVE_NAMES if re.search(rb"/" + name.encode() + rb"(?![A-Za-z0-9#])", body)]
    for match in re.finditer(rb"/URI\s*\(((?:\\.|[^\\)])*)\)", body, re.S):
        uri = re.sub(rb"\\(.)", rb"\1", match.group(1)).decode("latin-1")
        scheme = re.sub(r"[\x00-\x20]", "", uri).split(":", 1)[0].lower()
        if ":" not in uri or scheme not in ("http", "https", "mailto"):
            found.append(f"URI action {uri[:60]!r}")
    for match in re.finditer(rb"/URI\s*<([0-9A-Fa-f\s]*)>", body):
        uri = bytes.fromhex(re.sub(rb"\s", b"", match.group(1)).decode()).decode("latin-1", "replace")
        if not re.sub(r"[\x00-\x20]", "", uri).lower().startswith(("http:", "https:", "mailto:")):
            found.append(f"URI action {uri[:60]!r}")
    return found


def pdf_text(pdf: bytes) -> str:
    """The text a reader of the PDF sees (pypdf's extraction, every page), whitespace collapsed."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))

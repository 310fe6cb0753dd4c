"""Every door into a PR/FAQ for the seal tests (issue 11 item 7): the API, the documents API and pages, the PDF,
the CLI, the history, lists and search. Built on kernel.testing's doors and `check_matrix`; the paths live here
only, so the tables in the tests stay plain tables.

`run_matrix` runs one table through many doors: each door reads it as written, except that lists and search read
anything but `allowed` as "not listed" (404), and the CLI has no anonymous row (it runs on the server)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.test import Client

from mechanisms.kernel.testing import (
    ALLOWED,
    FORBIDDEN,
    HIDDEN,
    SIGNED_OUT,
    Door,
    api_door,
    check_matrix,
    cli_door,
    listing_door,
    outcome_of_status,
    page_door,
    signed_in,
)

from .seal_world import EVERYONE, READERS, PrFaqInWorld, World

ROLES = {"anonymous": None, **{handle: handle for handle in EVERYONE}}

# GET doors of a PR/FAQ and its document, by name: the path of one PR/FAQ of the world.
API_READS: dict[str, Callable[[PrFaqInWorld], str]] = {
    "api": lambda p: f"/api/v1/prfaqs/{p.id}",
    "api circle": lambda p: f"/api/v1/prfaqs/{p.id}/circles/2",
    "api suggested circles": lambda p: f"/api/v1/prfaqs/{p.id}/suggested-circles",
    "document": lambda p: f"/api/v1/documents/{p.document_id}",
    "revisions": lambda p: f"/api/v1/documents/{p.document_id}/revisions",
    "revision": lambda p: f"/api/v1/documents/{p.document_id}/revisions/1",
    "diff": lambda p: f"/api/v1/documents/{p.document_id}/diff?base=1",
    "comments": lambda p: f"/api/v1/documents/{p.document_id}/comments",
    "attachments": lambda p: f"/api/v1/documents/{p.document_id}/attachments",
    "attachment download": lambda p: f"/api/v1/documents/attachments/{p.attachment_id}",
    "pdf api": lambda p: f"/api/v1/documents/{p.document_id}/pdf",
    "history prfaq": lambda p: f"/api/v1/history?subject_type=prfaq&subject_id={p.id}",
    "history document": lambda p: f"/api/v1/history?subject_type=document&subject_id={p.document_id}",
}
PAGE_READS: dict[str, Callable[[PrFaqInWorld], str]] = {
    "pdf page": lambda p: f"/documents/{p.document_id}/pdf",
}
# Pages other helpers own; tried when their route exists (`page_routes`).
LATER_PAGES: dict[str, Callable[[PrFaqInWorld], str]] = {
    "prfaq page": lambda p: f"/prfaqs/{p.id}",
    "revisions page": lambda p: f"/documents/{p.document_id}/revisions",
    "revision page": lambda p: f"/documents/{p.document_id}/revisions/1",
    "diff page": lambda p: f"/documents/{p.document_id}/diff?base=1",
    "document page": lambda p: f"/documents/{p.document_id}",
    "attachment page": lambda p: f"/documents/{p.document_id}/attachments/{p.attachment_id}",
}


def page_routes(world: World) -> dict[str, Callable[[PrFaqInWorld], str]]:
    """The later pages whose route exists now (the others are named by `missing_pages`)."""
    from django.urls import Resolver404, resolve

    sample = next(iter(world.prfaqs.values()))
    found = {}
    for name, path in LATER_PAGES.items():
        try:
            resolve(path(sample).split("?")[0])
        except Resolver404:
            continue
        found[name] = path
    return found


def missing_pages(world: World) -> list[str]:
    return sorted(set(LATER_PAGES) - set(page_routes(world)))


def read_doors(as_, world: World, *, names: Sequence[str] | None = None) -> list[Door]:
    doors = [api_door(path, client_for=as_, name=name) for name, path in API_READS.items()]
    doors += [page_door(path, name=name) for name, path in {**PAGE_READS, **page_routes(world)}.items()]
    doors += [cli_show_door(), api_list_door(as_), api_text_search_door(as_), search_page_door()]
    if names is not None:
        doors = [d for d in doors if d.name in names]
    return doors


def cli_show_door() -> Door:
    """`mech prfaqs show ID --as HANDLE` (the admin row runs as the operator, an outsider of every PR/FAQ too)."""
    from mechanisms.working_backwards.cli import prfaqs

    return cli_door(prfaqs, lambda p: ["show", str(p.id)], name="cli show", operator="admin")


def api_list_door(as_) -> Door:
    """Is the PR/FAQ in the API list (unfiltered, and filtered by its state)?"""

    def listed(handle: str | None, p: PrFaqInWorld) -> bool:
        if handle is None:
            return False
        seen = []
        for path in ("/api/v1/prfaqs?limit=100", f"/api/v1/prfaqs?limit=100&state={p.prfaq.state}"):
            response = as_(handle).get(path)
            assert response.status_code == 200, (path, response.status_code)
            seen.append(any(item["id"] == p.id for item in response.json()["items"]))
        assert seen[0] == seen[1], f"the lists disagree for {handle}: {seen}"
        return seen[0]

    return listing_door(listed, name="api list")


def api_text_search_door(as_) -> Door:
    """The API's search: the list filtered by a word of the title (its marker)."""

    def listed(handle: str | None, p: PrFaqInWorld) -> bool:
        if handle is None:
            return False
        response = as_(handle).get(f"/api/v1/prfaqs?text={p.tokens['title']}")
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == len(body["items"])
        return any(item["id"] == p.id for item in body["items"])

    return listing_door(listed, name="api search")


def search_page_door() -> Door:
    """The search page for the title's marker: listed when the PR/FAQ's page is linked and its title shown (the
    query itself is echoed in the search box, so the marker alone proves nothing)."""
    clients: dict[str, Client] = {}

    def listed(handle: str | None, p: PrFaqInWorld) -> bool:
        if handle is None:
            return False
        if handle not in clients:
            clients[handle] = signed_in(handle)
        response = clients[handle].get("/search", {"q": p.tokens["title"]})
        assert response.status_code == 200
        return f'href="/prfaqs/{p.id}"' in response.content.decode()

    return listing_door(listed, name="search page")


LISTINGS = ("api list", "api search", "search page")


def table_for(stages: Sequence[str], roles: Sequence[str] = EVERYONE) -> str:
    """The expected table: `allowed` for a PR/FAQ's readers (seal_world.READERS), 404 for everyone else, 401 for
    the anonymous caller."""
    rows = [" ".join(stages)]
    for role in roles:
        rows.append(" ".join([role, *(ALLOWED if role in READERS[s] else HIDDEN for s in stages)]))
    rows.append(" ".join(["anonymous", *([SIGNED_OUT] * len(stages))]))
    return "\n".join(rows)


def run_matrix(table: str, *, doors: Sequence[Door], records: Mapping[str, Any], **kwargs: Any) -> None:
    """`check_matrix` door by door (every mismatch of every door reported at once), each door reading the table
    as it can: lists and search read anything but `allowed` as not listed; the CLI has no anonymous row."""
    lines = [line.split() for line in table.strip().splitlines() if line.strip()]
    failures: list[str] = []
    for door in doors:
        rows = [" ".join(lines[0])]
        for row in lines[1:]:
            if row[0] == "anonymous" and door.name.startswith("cli"):
                continue
            cells = row[1:]
            if door.name in LISTINGS:
                cells = [cell if cell == ALLOWED else HIDDEN for cell in cells]
            rows.append(" ".join([row[0], *cells]))
        try:
            check_matrix("\n".join(rows), doors=[door], records=records, roles=ROLES, **kwargs)
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n".join(failures)


# --- writes ---------------------------------------------------------------------------------------------------


def state_of(world: World, p: PrFaqInWorld) -> tuple:
    """What a refused write must leave as it was: the PR/FAQ's version, state and circle, its document's version
    and revision, its comments and attachments, and every change recorded about it."""
    from mechanisms.documents import services as documents
    from mechanisms.working_backwards import services as wb

    bob = world.actor("bob")
    prfaq = wb.get_prfaq(actor=bob, prfaq_id=p.id)
    document = documents.get_document(actor=bob, document_id=p.document_id)
    comments = documents.list_comments(actor=bob, document_id=p.document_id).total
    attachments = documents.list_attachments(actor=bob, document_id=p.document_id).total
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM audit_change WHERE (subject_type = 'prfaq' AND subject_id = %s)"
            " OR (subject_type = 'document' AND subject_id = %s)",
            [str(p.id), str(p.document_id)],
        )
        changes = cursor.fetchone()[0]
    return (prfaq.version, prfaq.state, prfaq.circle, document.version, document.revision, comments, attachments,
            changes)  # fmt: skip


def refusal_probe(name: str, call: Callable[[Client, PrFaqInWorld], Any], *, as_) -> Door:
    """A write through the API: 2xx is `allowed`, 404 hidden, 401 signed out; a refusal naming the rule (400 or
    403, with the error envelope) reads as `403`, the tables' word for "refused though readable"."""

    def probe(handle: str | None, p: PrFaqInWorld) -> str:
        client = as_(handle) if handle else Client()
        response = call(client, p)
        if response.status_code in (400, 403):
            error = response.json().get("error", {})
            return FORBIDDEN if error.get("message") else f"HTTP {response.status_code} without a message"
        return outcome_of_status(response.status_code)

    return Door(name, probe, prepare=lambda handle: as_(handle) if handle else None)


def write_doors(world: World, as_) -> list[Door]:
    from mechanisms.documents import services as documents
    from mechanisms.working_backwards import services as wb

    bob = world.actor("bob")

    def prfaq_version(p):
        return wb.get_prfaq(actor=bob, prfaq_id=p.id).version

    def document_version(p):
        return documents.get_document(actor=bob, document_id=p.document_id).version

    def post(client, path, body):
        return client.post(path, json.dumps(body), content_type="application/json")

    def put(client, path, body):
        return client.put(path, json.dumps(body), content_type="application/json")

    gus = world.person_id("gus")
    return [
        refusal_probe(
            "revise",
            lambda c, p: put(
                c, f"/api/v1/prfaqs/{p.id}/body", {"parts": {"summary": "hijacked"}, "version": document_version(p)}
            ),
            as_=as_,
        ),
        refusal_probe(
            "revise document",
            lambda c, p: put(
                c,
                f"/api/v1/documents/{p.document_id}",
                {"parts": {"summary": "hijacked"}, "version": document_version(p)},
            ),
            as_=as_,
        ),
        refusal_probe(
            "advance", lambda c, p: post(c, f"/api/v1/prfaqs/{p.id}/advance", {"version": prfaq_version(p)}), as_=as_
        ),
        refusal_probe(
            "shelve",
            lambda c, p: post(c, f"/api/v1/prfaqs/{p.id}/shelve", {"version": prfaq_version(p), "reason": "timing"}),
            as_=as_,
        ),
        refusal_probe(
            "approve", lambda c, p: post(c, f"/api/v1/prfaqs/{p.id}/approve", {"version": prfaq_version(p)}), as_=as_
        ),
        refusal_probe(
            "members",
            lambda c, p: put(
                c, f"/api/v1/prfaqs/{p.id}/circles/4", {"reviewer_ids": [gus], "version": prfaq_version(p)}
            ),
            as_=as_,
        ),
        refusal_probe(
            "attach",
            lambda c, p: c.post(
                f"/api/v1/documents/{p.document_id}/attachments",
                {"file": _upload(), "purpose": "mockup"},
            ),
            as_=as_,
        ),
    ]


def comment_door(as_) -> Door:
    return refusal_probe(
        "comment",
        lambda c, p: c.post(
            f"/api/v1/documents/{p.document_id}/comments",
            json.dumps({"body": "a comment from outside"}),
            content_type="application/json",
        ),
        as_=as_,
    )


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .seal_world import png

    return SimpleUploadedFile("mock.png", png((200, 0, 0)), content_type="image/png")

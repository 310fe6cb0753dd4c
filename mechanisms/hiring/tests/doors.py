"""Every door into a hiring record, for the seal tests: the API, the pages, the CLI, the history, the lists and
search. A `Target` names one confidential record of the seal world; each door knows how to try it.

The paths are the ones the hiring briefs give (docs/hiring.md); they live here only, so the matrix tables stay
plain tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mechanisms.kernel.testing import (
    ALLOWED,
    FORBIDDEN,
    HIDDEN,
    Door,
    check_matrix,
    cli_door,
    outcome_of_status,
    page_text,
    signed_in,
)

from .world import LoopInWorld, World

SEALED = "sealed until"  # the start of every sealed refusal: "sealed until the debrief", "... until you submit yours"


@dataclass(frozen=True)
class Target:
    """One record an adversary goes after: its kind, the loop it belongs to, and whose feedback (for feedback)."""

    kind: str  # opening | candidate | resume | loop | status | feedback | debrief | review
    entry: LoopInWorld | None
    world: World
    author: str = ""  # the interviewer, for a feedback

    @property
    def interview_id(self) -> int:
        assert self.entry is not None
        return self.entry.interview_id(self.author)

    @property
    def review_id(self) -> int:
        """The bar-raiser review of the loop (bar_raisers), read as the product itself."""
        from mechanisms.bar_raisers import services as bar_raisers
        from mechanisms.kernel.actor import Actor

        review = bar_raisers.review_for(
            actor=Actor.system("seal"), subject_kind="hiring_loop", subject_id=self.entry.loop_id
        )
        assert review is not None, "every loop has its review"
        return review.id

    def history_subject(self) -> tuple[str, int]:
        """The audit subject whose history this record has."""
        assert self.entry is not None
        if self.kind in ("candidate", "resume"):
            return "hiring_candidate", self.entry.candidate_id
        if self.kind == "review":
            return "bar_raiser_review", self.review_id
        if self.kind == "feedback":
            return "hiring_feedback", self.interview_id  # one feedback per interview, by the interview's id
        return "hiring_loop", self.entry.loop_id


API_PATHS: dict[str, Callable[[Target], str]] = {
    "opening": lambda t: f"/api/v1/hiring/openings/{t.world.opening.id}",
    "candidate": lambda t: f"/api/v1/hiring/candidates/{t.entry.candidate_id}",
    "resume": lambda t: f"/api/v1/hiring/candidates/{t.entry.candidate_id}/resume",
    "loop": lambda t: f"/api/v1/hiring/loops/{t.entry.loop_id}",
    "status": lambda t: f"/api/v1/hiring/loops/{t.entry.loop_id}/feedback-status",
    "feedback": lambda t: f"/api/v1/hiring/interviews/{t.interview_id}/feedback",
    "debrief": lambda t: f"/api/v1/hiring/loops/{t.entry.loop_id}/debrief",
    "review": lambda t: f"/api/v1/bar-raisers/reviews/{t.review_id}",
}
PAGE_PATHS: dict[str, Callable[[Target], str]] = {
    "opening": lambda t: f"/hiring/openings/{t.world.opening.id}",
    "candidate": lambda t: f"/hiring/candidates/{t.entry.candidate_id}",
    "resume": lambda t: f"/hiring/candidates/{t.entry.candidate_id}/resume",
    "loop": lambda t: f"/hiring/loops/{t.entry.loop_id}",
    "feedback": lambda t: f"/hiring/interviews/{t.interview_id}/feedback",
    "debrief": lambda t: f"/hiring/loops/{t.entry.loop_id}/debrief",
    "review": lambda t: f"/bar-raisers/reviews/{t.review_id}",
}
CLI_ARGS: dict[str, Callable[[Target], list[str]]] = {  # after `mech hiring`
    "opening": lambda t: ["opening", "show", str(t.world.opening.id)],
    "candidate": lambda t: ["candidate", "show", str(t.entry.candidate_id)],
    "resume": lambda t: ["resume", "download", str(t.entry.candidate_id), "--out", _scratch("resume")],
    "loop": lambda t: ["loop", "show", str(t.entry.loop_id)],
    "status": lambda t: ["loop", "status", str(t.entry.loop_id)],
    "feedback": lambda t: ["feedback", "show", str(t.interview_id)],
    "debrief": lambda t: ["debrief", str(t.entry.loop_id)],
}


def _scratch(name: str) -> str:
    """A throwaway file for commands that write one (the résumé download)."""
    import tempfile

    return str(Path(tempfile.gettempdir()) / f"seal-{name}.bin")


def api_probe(client_for: Callable[[str], Any]) -> Door:
    """GET the record through the API with the handle's bearer token. A 200 must not carry a sealed refusal."""

    def probe(handle: str | None, target: Target) -> str:
        from django.test import Client

        client = client_for(handle) if handle else Client()
        response = client.get(API_PATHS[target.kind](target))
        got = outcome_of_status(response.status_code)
        if got == FORBIDDEN:
            message = response.json()["error"]["message"]
            if not message.startswith(SEALED) and target.kind in ("feedback", "debrief"):
                return f"403 not saying sealed: {message!r}"
        return got

    return Door("api", probe, prepare=lambda handle: client_for(handle) if handle else None)


def page_probe() -> Door:
    """GET the record's page signed in by session; a page answering 200 with a sealed notice counts as 403."""
    clients: dict[str, Any] = {}

    def client(handle: str | None):
        from django.test import Client

        if handle is None:
            return Client()
        if handle not in clients:
            clients[handle] = signed_in(handle)
        return clients[handle]

    def probe(handle: str | None, target: Target) -> str:
        response = client(handle).get(PAGE_PATHS[target.kind](target))
        got = outcome_of_status(response.status_code, location=response.get("Location", ""))
        sealed_page = response.status_code == 200 and target.kind in ("feedback", "debrief")
        if sealed_page and SEALED in page_text(response).lower():
            return FORBIDDEN
        return got

    return Door("page", probe, prepare=client)


def cli_probe() -> Door:
    """`mech hiring ...` with `--as HANDLE`; the admin row runs without it, as the operator on the server (the
    product itself: the admin account has no person to act as), which is an outsider of every loop too. A sealed
    refusal is a 403; a feedback "not submitted" is not there (404); anything else reads as
    kernel.testing.cli_door reads it. (The review's CLI is bar_raisers' entry point, which app tests do not import.)"""
    from typer.testing import CliRunner

    from mechanisms.hiring.cli import hiring as mech_hiring

    inner = cli_door(mech_hiring, lambda t: CLI_ARGS[t.kind](t), operator="admin")

    def probe(handle: str | None, target: Target) -> str:
        acting = [] if handle == "admin" else ["--as", handle]
        result = CliRunner().invoke(mech_hiring, [*CLI_ARGS[target.kind](target), *acting])
        text = result.output.lower()
        if result.exit_code != 0 and SEALED in text:
            return FORBIDDEN
        if result.exit_code != 0 and "is not submitted" in text:
            return HIDDEN
        return inner.probe(handle, target)

    return Door("cli", probe)


def history_probe(client_for: Callable[[str], Any]) -> Door:
    """The record's history through `GET /api/v1/history`: readable exactly when the record is; never a 403
    (the change log answers 404 for a record you may not read, sealed or hidden alike)."""

    def probe(handle: str | None, target: Target) -> str:
        from django.test import Client

        subject_type, subject_id = target.history_subject()
        client = client_for(handle) if handle else Client()
        response = client.get(f"/api/v1/history?subject_type={subject_type}&subject_id={subject_id}")
        return outcome_of_status(response.status_code)

    return Door("history", probe, prepare=lambda handle: client_for(handle) if handle else None)


def api_list_probe(client_for: Callable[[str], Any]) -> Door:
    """Is the candidate (or loop) in the API list, unfiltered and filtered by its opening? Listed is `allowed`."""

    def probe(handle: str | None, target: Target) -> str:
        if handle is None:
            return HIDDEN
        client = client_for(handle)
        opening = target.world.opening.id
        if target.kind == "candidate":
            wanted, paths = target.entry.candidate_id, ["/api/v1/hiring/candidates?limit=100"]
            paths.append(f"/api/v1/hiring/candidates?opening_id={opening}&limit=100")
        else:
            wanted, paths = target.entry.loop_id, ["/api/v1/hiring/loops?limit=100"]
            paths.append(f"/api/v1/hiring/loops?opening_id={opening}&limit=100")
        seen = []
        for path in paths:
            response = client.get(path)
            if response.status_code != 200:
                seen.append(f"HTTP {response.status_code} on {path}")
                continue
            seen.append(any(item["id"] == wanted for item in response.json()["items"]))
        if seen == [True, True]:
            return ALLOWED
        if seen == [False, False]:
            return HIDDEN
        return f"lists disagree: {seen}"

    return Door("api list", probe)


def search_probe() -> Door:
    """The search page for the candidate's name: listed (a link to the candidate) is `allowed`."""
    clients: dict[str, Any] = {}

    def probe(handle: str | None, target: Target) -> str:
        if handle is None:
            return HIDDEN
        if handle not in clients:
            clients[handle] = signed_in(handle)
        word = target.entry.tokens["name"].split()[-1]
        response = clients[handle].get("/search", {"q": word})
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        # The query itself is echoed in the search box: the candidate is listed when their page is linked.
        return ALLOWED if f"/hiring/candidates/{target.entry.candidate_id}" in response.content.decode() else HIDDEN

    return Door("search", probe)


DOORS_FOR: dict[str, tuple[str, ...]] = {
    "api": tuple(API_PATHS),
    "page": tuple(PAGE_PATHS),
    "cli": tuple(CLI_ARGS),
    "history": ("candidate", "loop", "feedback", "review"),
    "api list": ("candidate", "loop"),
    "search": ("candidate",),
}


def run_matrix(table: str, *, doors: list[Door], records: Mapping[str, Target], roles: Mapping[str, str | None]):
    """`check_matrix` door by door over the columns each door can reach, every mismatch of every door reported at
    once. The history door reads the same table with each 403 as a 404 (the log never says "sealed"); lists and
    search read anything but `allowed` as not listed."""
    lines = [line.split() for line in table.strip().splitlines() if line.strip()]
    header = lines[0]
    failures: list[str] = []
    for door in doors:
        columns = [i for i, name in enumerate(header) if records[name].kind in DOORS_FOR[door.name]]
        if not columns:
            continue
        rows = []
        for row in lines[1:]:
            if row[0] == "anonymous" and door.name == "cli":
                continue  # the CLI runs on the server: nobody is anonymous there
            cells = [row[1 + i] for i in columns]
            if door.name == "history":
                cells = [HIDDEN if cell == FORBIDDEN else cell for cell in cells]
            if door.name in ("api list", "search"):
                cells = [HIDDEN if cell != ALLOWED else cell for cell in cells]
            rows.append(" ".join([row[0], *cells]))
        sub = "\n".join([" ".join(header[i] for i in columns), *rows])
        try:
            check_matrix(sub, doors=[door], records=records, roles=roles)
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n".join(failures)

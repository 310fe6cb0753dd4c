"""CLI of the documents app: `mech documents show|revisions|diff|comments|attach ...`. Thin: parse, call one
service, print. `--as HANDLE` acts as that person's account; without it a command runs as the product itself,
which the owning apps (a PR/FAQ, a narrative) usually leave outside their confidential documents: name a reader."""

from __future__ import annotations

from pathlib import Path

import typer

from mechanisms.kernel.cli import Format, emit_json, emit_table, fail, page_footer, run, setup_django, to_jsonable

documents = typer.Typer(
    help="Documents: revisions, diffs, comments, attachments, reading sessions.", no_args_is_help=True
)

AS = typer.Option(None, "--as", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.documents import services

    return services


def _actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


# --- documents, revisions, diffs, comments, attachments (helper `docs`) ----------------------------------------


@documents.command("show")
def show(
    document_id: int,
    revision: int = typer.Option(None, "--revision", help="a revision's number (the current one by default)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """A document's revision, part by part (Markdown as written)."""
    services = _services()
    actor = _actor(as_)
    doc = run(lambda: services.get_document(actor=actor, document_id=document_id))
    rev = run(lambda: services.get_revision(actor=actor, document_id=document_id, number=revision))
    if format is Format.json:
        return emit_json({"document": doc, "revision": rev})
    parts = {p.key: p.label for p in services.owner_parts(owner_kind=doc.owner_kind)}
    typer.echo(f"# {doc.title}")
    typer.echo(f"revision {rev.number} of {doc.revision}{f' · {rev.note}' if rev.note else ''}")
    for key, text in rev.parts.items():
        typer.echo(f"\n## {parts.get(key, key)}\n")
        typer.echo(text or "(empty)")


@documents.command("revisions")
def revisions(document_id: int, limit: int = 50, offset: int = 0, as_: str = AS, format: Format = FORMAT):
    """Every revision of a document, newest first."""
    services = _services()
    page = run(lambda: services.list_revisions(actor=_actor(as_), document_id=document_id, limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        f"Revisions of document {document_id}",
        ["revision", "when", "author", "note"],
        [(r.number, r.created_at.isoformat(timespec="minutes"), r.author_id, r.note or None) for r in page.items],
        page_footer(page),
        ellipsize=("note",),
    )


@documents.command("diff")
def diff(
    document_id: int,
    base: int = typer.Option(..., "--base", help="the earlier revision"),
    head: int = typer.Option(None, "--head", help="the later revision (the current one by default)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """How the body changed between two revisions, part by part (unified diff)."""
    services = _services()
    parts = run(lambda: services.diff_revisions(actor=_actor(as_), document_id=document_id, base=base, head=head))
    if format is Format.json:
        return emit_json([{"key": p.key, "label": p.label, "changed": p.changed, "lines": p.lines} for p in parts])
    for p in parts:
        typer.echo(f"## {p.label}: {'changed' if p.changed else 'unchanged'}")
        for line in p.lines:
            colour = "green" if line.startswith("+") else "red" if line.startswith("-") else None
            typer.secho(line, fg=colour)


@documents.command("comments")
def comments(
    document_id: int,
    revision: int = typer.Option(None, "--revision", help="judge passages against this revision"),
    limit: int = 50,
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The comments you may see (others' stay hidden while you read in a session), with where their passage is."""
    services = _services()
    view = run(
        lambda: services.document_view(
            actor=_actor(as_), document_id=document_id, revision=revision, limit=limit, offset=offset
        )
    )
    page = view.comments
    if format is Format.json:
        items = [{**to_jsonable(e.comment), "author": e.author} for e in page.items]
        return emit_json({"items": items, "total": page.total, "limit": page.limit, "offset": page.offset})

    def passage(e) -> str | None:
        c = e.comment
        if c.anchor is None:
            return None
        where = f"{e.part_label}: {c.anchor.quote!r}"
        return where if c.status == "found" else f"{where} (passage changed since revision {c.revision})"

    emit_table(
        f"Comments on {view.document.title} (judged against revision {view.revision.number})",
        ["id", "revision", "author", "passage", "comment", "resolved"],
        [
            (
                e.comment.id,
                e.comment.revision,
                e.author,
                passage(e),
                e.comment.body.replace("\n", " "),
                "yes" if e.comment.resolved else "no",
            )
            for e in page.items
        ],
        page_footer(page),
        ellipsize=("passage", "comment"),
    )


@documents.command("attach")
def attach(
    document_id: int,
    file: Path = typer.Argument(..., help="the file: PNG, JPEG, GIF, WebP or PDF"),
    purpose: str = typer.Option("file", "--purpose", help="mockup, image or file"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Attach a file to a document (typed from its bytes; at most MECH_ATTACHMENT_MAX_BYTES)."""
    services = _services()
    try:
        with file.open("rb") as handle:
            content = handle.read(services.attachment_max_bytes() + 1)
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}", code=2)
    record = run(
        lambda: services.attach_file(
            actor=_actor(as_), document_id=document_id, name=file.name, content=content, purpose=purpose
        )
    )
    if format is Format.json:
        return emit_json(record)
    typer.echo(f"attached {record.name} ({record.content_type}, {record.size} bytes) as attachment {record.id}")

"""MADR commands, mounted by config into `mech decisions`: `import DIR_OR_FILES [--owner HANDLE]`, `export DIR`,
and `check FILE.md`, which is offline (no Django set up: it parses and reports, as `mech check` does for catalog
files). Thin: parse, call one workflow (workflows.madr_io), print. Errors name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import typer

from mechanisms.kernel.cli import EXIT_FAILURE, EXIT_USAGE, Format, emit_json, emit_table, fail, run, setup_django

FORMAT = typer.Option(Format.text, "--format")


def _actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _markdown_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.md") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            fail(f"{path}: no such file or folder", EXIT_USAGE)
    if not found:
        fail("no Markdown files (*.md) given", EXIT_USAGE)
    return found


def import_files(
    paths: list[Path] = typer.Argument(..., help="MADR files, or folders of them (*.md)"),
    owner: str = typer.Option(None, "--owner", help="owns every decision (handle); unmatched decision-makers allowed"),
    as_: str = typer.Option(None, "--as", help="act as this person's account (handle); default: the product itself"),
    format: Format = FORMAT,
):
    """Import MADR decision records, all or nothing (a bad file names its line and field; nothing is written)."""
    files = [(p.name, p.read_text(encoding="utf-8")) for p in _markdown_files(paths)]
    setup_django()
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services
    from mechanisms.workflows import madr_io

    owner_id = (
        run(lambda: org_services.get_person_by_handle(actor=Actor.system("decisions"), handle=owner.lstrip("@"))).id
        if owner
        else None
    )
    report = run(lambda: madr_io.import_madr(actor=_actor(as_), files=files, owner_id=owner_id))
    if format is Format.json:
        return emit_json(report)
    emit_table(
        f"Imported {len(report.decisions)} decision(s)",
        ["#", "status", "question"],
        [(d.number, d.status.value, d.question) for d in report.decisions],
        ellipsize=("question",),
    )
    for name, who in report.unmatched:
        typer.echo(f"{name}: decision-maker {who!r} matches no person (kept in the file)")


def export_files(
    folder: Path = typer.Argument(..., help="the folder to write NNNN-slug.md files into"),
    as_: str = typer.Option(None, "--as", help="act as this person's account (handle)"),
    format: Format = FORMAT,
):
    """Export every decision as a MADR file (an imported one comes back with the same sections)."""
    setup_django()
    from mechanisms.decisions import services as decisions_services
    from mechanisms.workflows import madr_io

    actor = _actor(as_)
    folder.mkdir(parents=True, exist_ok=True)
    written, offset = [], 0
    while True:
        page = run(lambda offset=offset: decisions_services.list_decisions(actor=actor, limit=200, offset=offset))
        for d in page.items:
            name, text = run(lambda d=d: madr_io.export_madr(actor=actor, decision_id=d.id))
            (folder / name).write_text(text, encoding="utf-8")
            written.append(name)
        if page.next_offset is None:
            break
        offset = page.next_offset
    if format is Format.json:
        return emit_json({"written": sorted(written)})
    typer.echo(f"wrote {len(written)} file(s) to {folder}")


def check_file(path: Path = typer.Argument(..., help="a MADR file"), format: Format = FORMAT):
    """Read a MADR file offline and report what a decision record would take from it (exit 1 when it is bad)."""
    from mechanisms.interop import madr

    if not path.is_file():
        fail(f"{path}: no such file", EXIT_USAGE)
    try:
        record = madr.parse(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text", EXIT_FAILURE)
    except madr.MadrError as exc:
        fail(f"{path}:{exc.line or 1}: {exc.field}: {exc.message}", EXIT_FAILURE)
    summary = {
        "file": str(path),
        "title": record.title,
        "status": madr.status_of(record),
        "status_as_written": record.status,
        "date": record.date,
        "decision_makers": list(record.decision_makers),
        "front_matter": [{"key": k, "value": v} for k, v in record.metadata],
        "options": [o.title for o in record.options],
        "chosen_option": record.chosen_option,
        "sections": [{"heading": h, "level": level} for h, level in record.section_outline],
    }
    if format is Format.json:
        return emit_json(summary)
    typer.echo(f"{path}: {record.title!r} [{summary['status']}]")
    typer.echo(f"  options: {len(record.options)}; chosen: {record.chosen_option or '-'}")
    typer.echo("  decision-makers: " + (", ".join(record.decision_makers) or "-"))
    typer.echo("  sections: " + "; ".join(f"{'#' * level} {h}" for h, level in record.section_outline))

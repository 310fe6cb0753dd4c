"""CLI of the metrics app: `mech metrics ...` (the registry and data), `mech decks ...` (WBR decks, commentary,
snapshots), `mech goals ...`. The offline `mech wbr build` is interop's (interop/wbr_cli.py).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (org.services.cli_actor).
"""

from __future__ import annotations

import typer

metrics = typer.Typer(help="The metric registry and its data: define, revise, plan, load, pull.", no_args_is_help=True)
decks = typer.Typer(help="Weekly Business Review decks: build, comment, snapshot, export.", no_args_is_help=True)
goals = typer.Typer(help="Teams' goals for the year: propose, approve, progress from the data.", no_args_is_help=True)

# --- first part: the registry (metrics) ----------------------------------------------------------------------

# --- second part: data (metrics load|push|pull|completeness) -------------------------------------------------

# --- third part: decks ---------------------------------------------------------------------------------------

_DECK_AS = typer.Option(None, "--as", help="act as this person's account (handle)")
_DECK_FORMAT = typer.Option("text", "--format", help="text or json")


def _deck_services():
    from mechanisms.kernel.cli import setup_django

    setup_django()
    from mechanisms.metrics import services

    return services


def _deck_actor(handle: str | None):
    from mechanisms.kernel.cli import run
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _deck(services, actor, slug: str):
    from mechanisms.kernel.cli import fail, run

    found = run(lambda: services.find_deck(actor=actor, slug=slug))
    if found is None:
        fail(f"there is no deck {slug}")
    return found


def _week_option(text: str | None):
    import datetime as dt

    from mechanisms.kernel.cli import EXIT_USAGE, fail

    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--week-ending: {text!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)


@decks.command("list")
def list_decks_command(limit: int = 50, offset: int = 0, format: str = _DECK_FORMAT, as_: str = _DECK_AS):
    """The WBR decks, by title."""
    from mechanisms.kernel.cli import emit_json, emit_table, page_footer, run

    services = _deck_services()
    page = run(lambda: services.list_decks(actor=_deck_actor(as_), limit=limit, offset=offset))
    if format == "json":
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    rows = [(d.slug, d.title, len(d.rows), d.week_ends_on) for d in page.items]
    emit_table("WBR decks", ["slug", "title", "metrics", "weeks end on"], rows, page_footer(page))


@decks.command("show")
def show_deck(slug: str, format: str = _DECK_FORMAT, as_: str = _DECK_AS):
    """One deck and its rows in order."""
    from mechanisms.kernel.cli import emit_json

    services = _deck_services()
    deck = _deck(services, _deck_actor(as_), slug)
    if format == "json":
        return emit_json(deck)
    typer.echo(f"{deck.title} ({deck.slug})  id {deck.id}, version {deck.version}; weeks end on {deck.week_ends_on}")
    for r in deck.rows:
        typer.echo(f"  {r.position}. {r.metric_name}" + (f" - {r.label}" if r.label else ""))


@decks.command("build")
def build_deck_command(
    slug: str,
    week_ending: str = typer.Option(None, "--week-ending", help="YYYY-MM-DD (default: the last complete week)"),
    out: str = typer.Option(None, "--out", help="write the deck to FILE.html, FILE.pdf or FILE.json"),
    as_: str = _DECK_AS,
):
    """Build the deck for a week; print its box figures, or write it as HTML, PDF or JSON."""
    from pathlib import Path

    from mechanisms.kernel.cli import EXIT_USAGE, fail, run

    services = _deck_services()
    actor = _deck_actor(as_)
    deck = _deck(services, actor, slug)
    week = _week_option(week_ending)
    if out:
        fmt = Path(out).suffix.lstrip(".").lower()
        if fmt not in ("html", "pdf", "json"):
            fail(f"--out: {out} must end in .html, .pdf or .json", EXIT_USAGE)
        content, _, _ = run(lambda: services.export_deck(actor=actor, deck_id=deck.id, week_ending=week, format=fmt))
        Path(out).write_bytes(content)
        typer.echo(f"wrote {out}")
        return
    from mechanisms.metrics.charts import format_comparison, format_value

    view = run(lambda: services.build_deck(actor=actor, deck_id=deck.id, week_ending=week))
    typer.echo(f"{deck.title}: week {view.result.week_number}, ending {view.result.week_ending}")
    for r in view.rows:
        box, fmt = r.result.box, r.result.number_format
        typer.echo(
            f"  {r.result.label or r.result.name}: last week {format_value(box.last_week, fmt)}, "
            f"WoW {format_comparison(box.wow, r.result.comparison)}, "
            f"YoY {format_comparison(box.yoy, r.result.comparison)}"
            + (f"  [exception: {r.result.exception}]" if r.result.exception else "")
        )


@decks.command("comment")
def comment_command(
    slug: str,
    metric: str = typer.Argument(..., help="the metric's name"),
    body: str = typer.Argument(..., help="the commentary (Markdown)"),
    week_ending: str = typer.Option(None, "--week-ending"),
    version: int = typer.Option(None, "--version", help="the version of the note you read (to change it)"),
    as_: str = _DECK_AS,
):
    """Write (or, with --version, change) the commentary on one metric of a week's deck."""
    from mechanisms.kernel.cli import fail, run

    services = _deck_services()
    actor = _deck_actor(as_)
    deck = _deck(services, actor, slug)
    ids = services.metric_ids_by_name(names=[metric])
    if metric not in ids:
        fail(f"there is no metric {metric}")
    week = _week_option(week_ending) or services.last_ended_week(deck.week_ends_on)
    note = run(
        lambda: services.comment_on_metric(
            actor=actor, deck_id=deck.id, metric_id=ids[metric], week_ending=week, body=body, version=version
        )
    )
    typer.echo(f"commentary on {metric} for the week ending {note.week_ending}: version {note.version}")


@decks.command("snapshot")
def snapshot_command(slug: str, week_ending: str = typer.Option(None, "--week-ending"), as_: str = _DECK_AS):
    """Freeze the deck of an ended week (a second time returns the first snapshot)."""
    from mechanisms.kernel.cli import run

    services = _deck_services()
    actor = _deck_actor(as_)
    deck = _deck(services, actor, slug)
    snap = run(lambda: services.take_snapshot(actor=actor, deck_id=deck.id, week_ending=_week_option(week_ending)))
    typer.echo(f"snapshot of {slug} for the week ending {snap.week_ending} (taken {snap.created_at:%Y-%m-%d %H:%M})")


@decks.command("snapshots")
def snapshots_command(slug: str, limit: int = 50, offset: int = 0, as_: str = _DECK_AS):
    """The deck's frozen weeks, newest first."""
    from mechanisms.kernel.cli import emit_table, page_footer, run

    services = _deck_services()
    actor = _deck_actor(as_)
    deck = _deck(services, actor, slug)
    page = run(lambda: services.list_snapshots(actor=actor, deck_id=deck.id, limit=limit, offset=offset))
    rows = [(s.week_ending, f"{s.created_at:%Y-%m-%d %H:%M}", s.taken_by_id or "worker") for s in page.items]
    emit_table(f"Snapshots of {slug}", ["week ending", "taken", "by"], rows, page_footer(page))


@decks.command("compare")
def compare_command(slug: str, week_a: str, week_b: str, format: str = _DECK_FORMAT, as_: str = _DECK_AS):
    """Two frozen weeks side by side: what changed, added and removed rows."""
    from mechanisms.kernel.cli import emit_json, run

    services = _deck_services()
    actor = _deck_actor(as_)
    deck = _deck(services, actor, slug)
    cmp = run(
        lambda: services.compare_snapshots(
            actor=actor, deck_id=deck.id, week_a=_week_option(week_a), week_b=_week_option(week_b)
        )
    )
    if format == "json":
        return emit_json(cmp)
    for row in cmp.rows:
        typer.echo(f"{row.label}: changed {', '.join(row.changed) or 'nothing'}")
    if cmp.added:
        typer.echo(f"added: {', '.join(cmp.added)}")
    if cmp.removed:
        typer.echo(f"removed: {', '.join(cmp.removed)}")


# --- fourth part: goals --------------------------------------------------------------------------------------

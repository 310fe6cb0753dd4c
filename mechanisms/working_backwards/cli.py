"""CLI of the working_backwards app: `mech prfaqs ...` and `mech narratives ...`. Thin: parse, call one service,
print."""

from __future__ import annotations

import typer

from mechanisms.kernel.cli import EXIT_FAILURE, Format, emit_json, emit_table, fail, page_footer, run
from mechanisms.kernel.machine_cli import mount as mount_machine

prfaqs = typer.Typer(
    help="PR/FAQs: write, check, review in widening circles, shelve, the funnel.", no_args_is_help=True
)
narratives = typer.Typer(help="Six-page narratives and their silent reading sessions.", no_args_is_help=True)


# --- PR/FAQs (prfaq)
# Server commands set Django up on demand (lazily, so `mech --help` stays fast); `check` is offline: it reads a
# Markdown file whose `##` headings are the part labels and runs the same pure checker as the server.

AS = typer.Option(None, "--as", help="act as this person's account (handle); PR/FAQs are read by their circles")
FORMAT = typer.Option(Format.text, "--format")


def _prfaq_services():
    from mechanisms.kernel.cli import setup_django

    setup_django()
    from mechanisms.working_backwards import services

    return services


def _actor(handle: str | None):
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _person_ids(handles: str) -> list[int]:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    names = [h for h in handles.replace(",", " ").split() if h]
    system = Actor.system("working_backwards")
    return [run(lambda h=h: org_services.get_person_by_handle(actor=system, handle=h)).id for h in names]


def _read_parts(path: str) -> dict[str, str]:
    from mechanisms.working_backwards import rules

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read: {exc}", code=2)
    parts, unknown = rules.parse_markdown(text)
    if unknown:
        fail(f"{path}: no PR/FAQ part is called {unknown[0]!r} (a `##` heading names a part)", code=2)
    return parts


def _show_prfaq(prfaq, format: Format) -> None:
    if format is Format.json:
        emit_json(prfaq)
        return
    typer.echo(f"#{prfaq.id} {prfaq.title}  [{prfaq.state.value}, circle {int(prfaq.circle)}]  version {prfaq.version}")
    for circle in (2, 3, 4):
        reviewers, readers = prfaq.reviewers(circle), prfaq.readers(circle)
        if reviewers or readers:
            typer.echo(f"  circle {circle}: reviewers {list(reviewers)} readers {list(readers)}")
    if prfaq.shelve_reason:
        typer.echo(f"  shelved: {prfaq.shelve_reason.value} {prfaq.shelve_note}".rstrip())


def _show_report(report, format: Format, source: str = "") -> None:
    if format is Format.json:
        emit_json(
            {
                "findings": report.findings,
                "pages_press_release": report.pages_press_release,
                "pages_faq": report.pages_faq,
                "ok": report.ok,
            }
        )
        return
    emit_table(
        f"PR/FAQ check{': ' + source if source else ''}",
        ["severity", "rule", "part", "message"],
        [(f.severity.value, f.rule, f.part or "-", f.message) for f in report.findings],
        f"press release {report.pages_press_release:g} pages (max 1); FAQ {report.pages_faq:g} pages (max 5)",
        ellipsize=("message",),
    )


@prfaqs.command("check")
def check(
    file: str = typer.Argument(..., help="a Markdown file whose ## headings are the part labels"),
    format: Format = FORMAT,
):
    """Check a PR/FAQ file offline (no server): missing sections, page limits, jargon, weasel words. Exit 1 on
    errors (a core paragraph missing)."""
    from mechanisms.working_backwards import rules

    report = rules.check_prfaq(_read_parts(file))
    _show_report(report, format, file)
    if not report.ok:
        raise SystemExit(EXIT_FAILURE)


@prfaqs.command("list")
def list_prfaqs(
    state: str = typer.Option(None, "--state"),
    team: str = typer.Option(None, "--team", help="team slug"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The PR/FAQs you may read, most recently changed first."""
    services = _prfaq_services()
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    team_id = run(lambda: org_services.get_team_by_slug(actor=Actor.system("cli"), slug=team)).id if team else None
    page = run(
        lambda: services.list_prfaqs(actor=_actor(as_), state=state, team_id=team_id, limit=limit, offset=offset)
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "PR/FAQs",
        ["id", "state", "circle", "title"],
        [(p.id, p.state.value, int(p.circle), p.title) for p in page.items],
        page_footer(page),
        ellipsize=("title",),
    )


@prfaqs.command("show")
def show(prfaq_id: int = typer.Argument(...), as_: str = AS, format: Format = FORMAT):
    """One PR/FAQ: its state, circles, parts and the checker's report."""
    services = _prfaq_services()
    view = run(lambda: services.prfaq_view(actor=_actor(as_), prfaq_id=prfaq_id))
    if format is Format.json:
        return emit_json(view)
    _show_prfaq(view.prfaq, format)
    typer.echo(
        f"  revision {view.revision} (document version {view.document_version}); you may: "
        + (", ".join(view.actions + view.can) or "nothing")
    )
    _show_report(view.report, format)


@prfaqs.command("new")
def new(
    title: str = typer.Option(..., "--title"),
    team: str = typer.Option(..., "--team", help="the owning team's slug"),
    file: str = typer.Option(None, "--file", help="a Markdown file whose ## headings are the part labels"),
    high_impact: bool = typer.Option(False, "--high-impact"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Start a PR/FAQ (a draft in circle 1, yours)."""
    parts = _read_parts(file) if file else None
    services = _prfaq_services()
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    team_id = run(lambda: org_services.get_team_by_slug(actor=Actor.system("cli"), slug=team)).id
    prfaq = run(
        lambda: services.create_prfaq(
            actor=_actor(as_), title=title, team_id=team_id, parts=parts, high_impact=high_impact
        )
    )
    _show_prfaq(prfaq, format)


@prfaqs.command("edit")
def edit(
    prfaq_id: int = typer.Argument(...),
    file: str = typer.Option(..., "--file", help="a Markdown file whose ## headings are the part labels"),
    version: int = typer.Option(..., "--version", help="the document version you read (see `show`)"),
    note: str = typer.Option("", "--note"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Revise a PR/FAQ from a Markdown file (the parts it has headings for; the others keep their text)."""
    parts = _read_parts(file)
    services = _prfaq_services()
    view = run(
        lambda: services.revise_prfaq(actor=_actor(as_), prfaq_id=prfaq_id, parts=parts, version=version, note=note)
    )
    if format is Format.json:
        return emit_json(view)
    _show_prfaq(view.prfaq, format)
    typer.echo(f"  revision {view.revision} (document version {view.document_version})")


@prfaqs.command("members")
def members(
    prfaq_id: int = typer.Argument(...),
    circle: int = typer.Option(..., "--circle", help="2, 3 or 4"),
    reviewers: str = typer.Option(..., "--reviewers", help="handles, comma separated"),
    readers: str = typer.Option("", "--readers", help="handles, comma separated"),
    version: int = typer.Option(..., "--version", help="the PR/FAQ's version you read"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Name one circle's reviewers and readers (the author, while draft or in review)."""
    services = _prfaq_services()
    prfaq = run(
        lambda: services.set_circle_members(
            actor=_actor(as_),
            prfaq_id=prfaq_id,
            circle=circle,
            reviewer_ids=_person_ids(reviewers),
            reader_ids=_person_ids(readers),
            version=version,
        )
    )
    _show_prfaq(prfaq, format)


def _perform(transition, prfaq_id: int, version: int, as_: str | None, format: Format, values: dict) -> None:
    services = _prfaq_services()
    prfaq = run(
        lambda: services.apply_transition(
            actor=_actor(as_), prfaq_id=prfaq_id, version=version, transition=transition.name, values=values
        )
    )
    _show_prfaq(prfaq, format)


def _machine():
    # The declaration is pure (no Django), so mounting the commands keeps `mech --help` fast.
    from mechanisms.working_backwards.machines import MACHINE

    return MACHINE


# One command per declared transition: `mech prfaqs submit|advance|approve|shelve ID --version N --as HANDLE`.
mount_machine(prfaqs, _machine(), perform=_perform)

# --- narratives (reading)

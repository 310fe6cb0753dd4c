"""CLI of the working_backwards app: `mech prfaqs ...` and `mech narratives ...`. Thin: parse, call one service,
print."""

from __future__ import annotations

import datetime as dt

import typer

from mechanisms.kernel.cli import EXIT_FAILURE, Format, emit_json, emit_table, fail, page_footer, run, setup_django
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
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


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
    from mechanisms.working_backwards.contracts import PRFAQ_PARTS

    # The body as the Markdown file `check`, `new --file` and `edit --file` read: one `##` heading per part.
    for part in PRFAQ_PARTS:
        if view.parts.get(part.key):
            typer.echo(f"\n## {part.label}\n\n{view.parts[part.key]}")
    typer.echo("")
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
# `check` is offline (no Django): it reads a Markdown file whose body ends at an optional `# Appendix` heading and
# runs the same pure rules as the server (rules_narrative). The others set Django up and act `--as` a person.


def _show_narrative_check(check, format: Format, source: str = "") -> None:
    if format is Format.json:
        emit_json(
            {
                "words": check.words,
                "pages": check.pages,
                "lines": check.lines,
                "bullet_lines": check.bullet_lines,
                "bullet_ratio": round(check.bullet_ratio, 4),
                "appendix_words": check.appendix_words,
                "ok": check.ok,
                "findings": check.findings,
            }
        )
        return
    emit_table(
        f"Narrative check{': ' + source if source else ''}",
        ["rule", "message"],
        [(f.rule, f.message) for f in check.findings],
        f"body {check.words:,} words, {check.pages:g} pages (max 6); {check.bullet_lines} of {check.lines} lines are "
        f"list items ({check.bullet_ratio:.0%}, max 20%); appendix {check.appendix_words:,} words (not counted)",
        ellipsize=("message",),
    )


@narratives.command("check")
def check_narrative_file(
    file: str = typer.Argument(..., help="a Markdown file; an optional `# Appendix` heading starts the appendix"),
    format: Format = FORMAT,
):
    """Check a narrative file offline (no server): its pages (500 words a page, appendix not counted; at most six)
    and its share of list items (at most 20%: narratives are prose). Exit 1 on findings."""
    from mechanisms.working_backwards import rules_narrative

    try:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read: {exc}", code=2)
    body, appendix = rules_narrative.split_appendix(text)
    result = rules_narrative.check_narrative(body, appendix)
    _show_narrative_check(result, format, file)
    if not result.ok:
        raise SystemExit(EXIT_FAILURE)


@narratives.command("list")
def list_narratives(
    team: str = typer.Option(None, "--team", help="team slug"),
    text: str = typer.Option("", "--text", help="words in the title"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The narratives you may read (confidential ones only for their insiders), most recently changed first."""
    services = _prfaq_services()
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    team_id = run(lambda: org_services.get_team_by_slug(actor=Actor.system("cli"), slug=team)).id if team else None
    page = run(
        lambda: services.list_narratives(actor=_actor(as_), team_id=team_id, text=text, limit=limit, offset=offset)
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Narratives",
        ["id", "team", "confidential", "title"],
        [(n.id, n.team_id, "yes" if n.confidential else "", n.title) for n in page.items],
        page_footer(page),
        ellipsize=("title",),
    )


@narratives.command("show")
def show_narrative(narrative_id: int = typer.Argument(...), as_: str = AS, format: Format = FORMAT):
    """A narrative: its body, appendix and check, and its reading sessions."""
    services = _prfaq_services()
    actor = _actor(as_)
    view = run(lambda: services.get_narrative(actor=actor, narrative_id=narrative_id))
    sessions = run(lambda: services.list_narrative_sessions(actor=actor, narrative_id=narrative_id))
    if format is Format.json:
        return emit_json({"narrative": view, "sessions": sessions.items})
    n = view.narrative
    typer.echo(f"#{n.id} {n.title}  [revision {view.revision}, document version {view.document_version}]")
    typer.echo(f"  team {n.team_id}; author {n.author_id}" + ("; confidential" if n.confidential else ""))
    typer.echo("")
    typer.echo(view.body)
    if view.appendix:
        typer.echo("\n# Appendix\n")
        typer.echo(view.appendix)
    typer.echo("")
    _show_narrative_check(view.check, Format.text)
    for s in sessions.items:
        done = sum(1 for r in s.readers if r.done)
        typer.echo(f"  session {s.id}: {s.state.value}, revision {s.revision}, {done} of {len(s.readers)} done")


@narratives.command("start-session")
def start_narrative_session(
    narrative_id: int = typer.Argument(...),
    readers: str = typer.Option(..., "--readers", help="the readers' handles, separated by spaces or commas"),
    minutes: int = typer.Option(20, "--minutes", help="the reading time-box, 1 to 240 minutes"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Start a silent reading of the narrative's current revision (its author presents; refused over six pages)."""
    services = _prfaq_services()
    actor = _actor(as_)
    reader_ids = _person_ids(readers)
    session = run(
        lambda: services.start_narrative_session(
            actor=actor, narrative_id=narrative_id, reader_ids=reader_ids, minutes=minutes
        )
    )
    if format is Format.json:
        return emit_json(session)
    from django.utils import timezone

    typer.echo(
        f"reading session {session.id} of revision {session.revision}: {len(session.readers)} readers, ends at "
        f"{timezone.localtime(session.ends_at):%H:%M}; /documents/{session.document_id}/sessions/{session.id}"
    )


# --- board and funnel (board)

_AS = typer.Option(None, "--as", help="act as this person's account (handle); without it, the product itself")
_FORMAT = typer.Option(Format.text, "--format")


def _board_actor(handle: str | None):
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date YYYY-MM-DD, got {value!r}", code=2)


@prfaqs.command("funnel")
def funnel(
    unit: str = typer.Option(None, "--unit", help="an org unit's slug (its units below included)"),
    since: str = typer.Option(None, "--since", help="only PR/FAQs written on or after this day (YYYY-MM-DD)"),
    until: str = typer.Option(None, "--until", help="only PR/FAQs written on or before this day (YYYY-MM-DD)"),
    as_: str = _AS,
    format: Format = _FORMAT,
):
    """The funnel: how many PR/FAQs reached each circle, the days spent there, why they stopped. Counts cover every
    PR/FAQ; only those the `--as` person may read are named (the product itself names none)."""
    since_day, until_day = _day(since, "--since"), _day(until, "--until")
    setup_django()
    from mechanisms.kernel.actor import Actor
    from mechanisms.kernel.errors import NotFound
    from mechanisms.org import services as org_services
    from mechanisms.working_backwards import services
    from mechanisms.working_backwards.contracts import CIRCLE_WORDS, SHELVE_REASON_WORDS

    actor = _board_actor(as_)
    unit_id = None
    if unit:

        def find():
            found = org_services.find_org_unit(actor=Actor.system("cli"), slug=unit)
            if found is None:
                raise NotFound(f"no org unit has the slug {unit!r}", field="unit")
            return found

        unit_id = run(find).id
    report = run(lambda: services.prfaq_funnel(actor=actor, unit_id=unit_id, since=since_day, until=until_day))
    if format is Format.json:
        return emit_json(report)
    emit_table(
        f"PR/FAQ funnel: {report.total} in all, {report.approved} approved, {report.shelved} shelved",
        ["circle", "reached", "now", "went on", "shelved", "median days", "p90 days"],
        [
            (
                f"{int(s.circle)} {CIRCLE_WORDS[s.circle]}",
                s.reached,
                s.current,
                s.advanced,
                s.shelved,
                s.days_median,
                s.days_p90,
            )
            for s in report.steps
        ],
    )
    stopped = [(int(s.circle), SHELVE_REASON_WORDS[r], n) for s in report.steps for r, n in s.reasons]
    if stopped:
        emit_table("Why they stopped", ["circle", "reason", "shelved"], stopped)
    if report.entries:
        emit_table(
            "The ones you may read",
            ["id", "title", "state", "circle"],
            [(e.prfaq_id, e.title, e.state.value, int(e.circle)) for e in report.entries],
            ellipsize=["title"],
        )


@prfaqs.command("board")
def board(as_: str = _AS, format: Format = _FORMAT):
    """Your review board: the PR/FAQs you may read in review by circle, what waits on you, your drafts."""
    setup_django()
    from mechanisms.working_backwards import services

    actor = _board_actor(as_)
    found = run(lambda: services.review_board(actor=actor))
    if format is Format.json:
        return emit_json(
            {
                "circles": [{"circle": int(c), "items": items} for c, items in found.circles],
                "drafts": found.drafts,
                "finished": found.finished,
                "waiting": len(found.waiting),
            }
        )
    rows = [
        (i.prfaq_id, i.title, i.time_in_circle, i.comments, i.errors, "waiting on you" if i.waiting_on_you else None)
        for _, items in found.circles
        for i in items
    ] + [(i.prfaq_id, i.title, i.time_in_circle, i.comments, i.errors, None) for i in found.drafts]
    emit_table(
        f"Review board: {len(found.waiting)} waiting on you",
        ["id", "title", "where", "comments", "errors", ""],
        rows,
        ellipsize=["title"],
    )

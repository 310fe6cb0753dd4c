"""CLI of the hiring app: `mech hiring principles|openings|opening|candidates|candidate|resume|erase|health`, then
(below the loops banner) the loop commands.

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account; without it a command runs as the
product itself, which reads openings and principles but is an outsider to every candidate and loop (it sees none).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from mechanisms.kernel.cli import Format, emit_json, emit_table, fail, page_footer, run, setup_django
from mechanisms.kernel.machine_cli import mount as mount_machine

hiring = typer.Typer(
    help="Hiring: principles, openings, candidates, résumés, erasure, health; loops.", no_args_is_help=True
)
principles_app = typer.Typer(help="The leadership principles openings assess.", invoke_without_command=True)
opening_app = typer.Typer(help="One opening: show, create, edit, and its transitions.", no_args_is_help=True)
candidate_app = typer.Typer(help="One candidate: show, add, edit, withdraw, accept an offer.", no_args_is_help=True)
resume_app = typer.Typer(help="A candidate's résumé: upload or download (insiders only).", no_args_is_help=True)
hiring.add_typer(principles_app, name="principles")
hiring.add_typer(opening_app, name="opening")
hiring.add_typer(candidate_app, name="candidate")
hiring.add_typer(resume_app, name="resume")

AS = typer.Option(None, "--as", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.hiring import services

    return services


def _actor(handle: str | None):
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _person_id(handle: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_person_by_handle(actor=Actor.system("hiring"), handle=handle)).id


def _team_id(slug: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_team_by_slug(actor=Actor.system("hiring"), slug=slug)).id


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


# ------------------------------------------------------------------------------------------------ principles


@principles_app.callback()
def principles(
    ctx: typer.Context, all_: bool = typer.Option(False, "--all", help="inactive ones too"), format: Format = FORMAT
):
    """The leadership principles, in order (`mech hiring principles`); `add` and `update` change the list."""
    if ctx.invoked_subcommand is not None:
        return
    services = _services()
    found = run(lambda: services.list_principles(actor=_actor(None), active_only=not all_))
    if format is Format.json:
        return emit_json(found)
    emit_table(
        "Leadership principles",
        ["slug", "name", "active", "version"],
        [(p.slug, p.name, "yes" if p.active else "no", p.version) for p in found],
    )


@principles_app.command("add")
def add_principle(
    slug: str = typer.Argument(...),
    name: str = typer.Option(..., "--name"),
    description: str = typer.Option("", "--description"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Add a principle (admins and company-wide recruiters)."""
    services = _services()
    p = run(lambda: services.add_principle(actor=_actor(as_), slug=slug, name=name, description=description))
    emit_json(p) if format is Format.json else typer.echo(f"added {p.slug}: {p.name}")


@principles_app.command("update")
def update_principle(
    slug: str = typer.Argument(...),
    version: int = typer.Option(..., "--version"),
    name: str = typer.Option(None, "--name"),
    description: str = typer.Option(None, "--description"),
    active: bool = typer.Option(None, "--active/--inactive"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Rename, reword or (de)activate a principle (admins and company-wide recruiters)."""
    services = _services()
    actor = _actor(as_)
    found = {p.slug: p for p in run(lambda: services.list_principles(actor=actor, active_only=False))}
    if slug not in found:
        fail(f"no principle {slug!r}", 1)
    p = run(
        lambda: services.update_principle(
            actor=actor,
            principle_id=found[slug].id,
            version=version,
            name=name,
            description=description,
            active=active,
        )
    )
    emit_json(p) if format is Format.json else typer.echo(f"updated {p.slug} (version {p.version})")


# ------------------------------------------------------------------------------------------------ openings


def _show_opening(o, format: Format) -> None:
    if format is Format.json:
        return emit_json(o)
    typer.echo(f"#{o.id} {o.title}  [{o.state.value}]  version {o.version}")
    typer.echo(f"  team {o.team_slug}, level {o.level}{', manager role' if o.manager_role else ''}")
    typer.echo(f"  hiring manager {o.hiring_manager_handle}; recruiter {o.recruiter_handle or '-'}")
    typer.echo(f"  principles: {', '.join(o.principles) or '-'}")
    typer.echo(f"  job description: {len(o.job_description)} characters")


@hiring.command("openings")
def list_openings(
    state: str = typer.Option(None, "--state"),
    team: str = typer.Option(None, "--team", help="team slug"),
    text: str = typer.Option(None, "--text"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Openings, newest first."""
    services = _services()
    page = run(
        lambda: services.list_openings(
            actor=_actor(as_),
            state=state,
            team_id=_team_id(team) if team else None,
            text=text,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Openings",
        ["id", "state", "team", "level", "title"],
        [(o.id, o.state.value, o.team_slug, o.level, o.title) for o in page.items],
        page_footer(page),
        ellipsize=("title",),
    )


@opening_app.command("show")
def show_opening(opening_id: int, as_: str = AS, format: Format = FORMAT):
    """One opening, and the transitions you may take."""
    services = _services()
    actor = _actor(as_)
    o = run(lambda: services.get_opening(actor=actor, opening_id=opening_id))
    _show_opening(o, format)
    if format is Format.text:
        actions = run(lambda: services.opening_actions(actor=actor, opening_id=opening_id))
        typer.echo("you may: " + (", ".join(actions) or "nothing now"))


@opening_app.command("create")
def create_opening(
    title: str = typer.Option(..., "--title"),
    team: str = typer.Option(..., "--team", help="team slug"),
    hiring_manager: str = typer.Option(..., "--hiring-manager", help="handle"),
    recruiter: str = typer.Option(None, "--recruiter", help="handle"),
    level: str = typer.Option(..., "--level"),
    manager_role: bool = typer.Option(False, "--manager-role"),
    reports: str = typer.Option("", "--reports", help="would-be reports, handles separated by commas"),
    jd_file: Path = typer.Option(None, "--jd-file", help="the job description, a Markdown file"),
    principles: str = typer.Option("", "--principles", help="principle slugs separated by commas"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Create a draft opening."""
    services = _services()
    jd = _read(jd_file) if jd_file else ""
    o = run(
        lambda: services.create_opening(
            actor=_actor(as_),
            title=title,
            team_id=_team_id(team),
            hiring_manager_id=_person_id(hiring_manager),
            recruiter_id=_person_id(recruiter) if recruiter else None,
            level=level,
            manager_role=manager_role,
            reports_ids=tuple(_person_id(h) for h in _list(reports)),
            job_description=jd,
            principles=_list(principles),
        )
    )
    _show_opening(o, format)


@opening_app.command("edit")
def edit_opening(
    opening_id: int,
    version: int = typer.Option(..., "--version"),
    title: str = typer.Option(None, "--title"),
    level: str = typer.Option(None, "--level"),
    jd_file: Path = typer.Option(None, "--jd-file", help="the job description, a Markdown file"),
    principles: str = typer.Option(None, "--principles", help="principle slugs separated by commas"),
    recruiter: str = typer.Option(None, "--recruiter", help="handle"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Change an opening's title, level, job description, principles or recruiter."""
    services = _services()
    from mechanisms.hiring.contracts import OpeningChanges

    values: dict = {}
    if title is not None:
        values["title"] = title
    if level is not None:
        values["level"] = level
    if jd_file is not None:
        values["job_description"] = _read(jd_file)
    if principles is not None:
        values["principles"] = _list(principles)
    if recruiter is not None:
        values["recruiter_id"] = _person_id(recruiter)
    o = run(
        lambda: services.update_opening(
            actor=_actor(as_), opening_id=opening_id, changes=OpeningChanges(**values), version=version
        )
    )
    _show_opening(o, format)


def _perform(transition, opening_id: int, version: int, as_: str | None, format: Format, values: dict) -> None:
    services = _services()
    o = run(
        lambda: services.apply_opening_transition(
            actor=_actor(as_), opening_id=opening_id, version=version, transition=transition.name, values=values
        )
    )
    _show_opening(o, format)


def _opening_machine():
    # The declaration is pure (no Django), so mounting the commands keeps `mech --help` fast.
    from mechanisms.hiring.machines import OPENING

    return OPENING


# One command per declared transition: `mech hiring opening open|hold|reopen|close ID --version N --as HANDLE`.
mount_machine(opening_app, _opening_machine(), perform=_perform)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read it as UTF-8 text ({exc})", 2)
        raise


# ------------------------------------------------------------------------------------------------ candidates


def _show_candidate(c, format: Format) -> None:
    if format is Format.json:
        return emit_json(c)
    typer.echo(f"#{c.id} {c.name}  [{c.state.value}]  version {c.version}")
    typer.echo(f"  opening #{c.opening_id} {c.opening_title}")
    typer.echo(f"  {c.email or '-'}  {c.phone or '-'}  source {c.source.value} {c.source_detail}".rstrip())
    typer.echo(f"  résumé: {c.resume_name} ({c.resume_size} bytes)" if c.resume_size else "  résumé: none")
    if c.loop_id:
        typer.echo(f"  loop #{c.loop_id}")


@hiring.command("candidates")
def list_candidates(
    opening: int = typer.Option(None, "--opening", help="opening id"),
    state: str = typer.Option(None, "--state"),
    text: str = typer.Option(None, "--text"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The candidates you are an insider of, newest first (nobody else's are listed)."""
    services = _services()
    page = run(
        lambda: services.list_candidates(
            actor=_actor(as_), opening_id=opening, state=state, text=text, limit=limit, offset=offset
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Candidates",
        ["id", "state", "opening", "name"],
        [(c.id, c.state.value, c.opening_title, c.name) for c in page.items],
        page_footer(page),
        ellipsize=("opening",),
    )


@candidate_app.command("show")
def show_candidate(candidate_id: int, as_: str = AS, format: Format = FORMAT):
    """One candidate (insiders only)."""
    services = _services()
    _show_candidate(run(lambda: services.get_candidate(actor=_actor(as_), candidate_id=candidate_id)), format)


@candidate_app.command("add")
def add_candidate(
    opening: int = typer.Option(..., "--opening", help="opening id"),
    name: str = typer.Option(..., "--name"),
    email: str = typer.Option(..., "--email"),
    phone: str = typer.Option("", "--phone"),
    source: str = typer.Option(..., "--source", help="referral, inbound, sourced, agency or internal"),
    source_detail: str = typer.Option("", "--source-detail"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Add a candidate to an opening (its recruiters and hiring manager)."""
    services = _services()
    c = run(
        lambda: services.add_candidate(
            actor=_actor(as_),
            opening_id=opening,
            name=name,
            email=email,
            phone=phone,
            source=source,
            source_detail=source_detail,
        )
    )
    _show_candidate(c, format)


@candidate_app.command("edit")
def edit_candidate(
    candidate_id: int,
    version: int = typer.Option(..., "--version"),
    name: str = typer.Option(None, "--name"),
    email: str = typer.Option(None, "--email"),
    phone: str = typer.Option(None, "--phone"),
    source: str = typer.Option(None, "--source"),
    source_detail: str = typer.Option(None, "--source-detail"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Correct a candidate's name, contact or source."""
    services = _services()
    from mechanisms.hiring.contracts import CandidateChanges

    given = {"name": name, "email": email, "phone": phone, "source": source, "source_detail": source_detail}
    changes = CandidateChanges(**{k: v for k, v in given.items() if v is not None})
    c = run(
        lambda: services.update_candidate(
            actor=_actor(as_), candidate_id=candidate_id, changes=changes, version=version
        )
    )
    _show_candidate(c, format)


@candidate_app.command("withdraw")
def withdraw_candidate(
    candidate_id: int,
    version: int = typer.Option(..., "--version"),
    reason: str = typer.Option("", "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """The candidate withdrew."""
    services = _services()
    c = run(
        lambda: services.withdraw_candidate(
            actor=_actor(as_), candidate_id=candidate_id, version=version, reason=reason
        )
    )
    _show_candidate(c, format)


@candidate_app.command("accept-offer")
def accept_offer(
    candidate_id: int, version: int = typer.Option(..., "--version"), as_: str = AS, format: Format = FORMAT
):
    """The candidate accepted the offer: hired, and the opening filled."""
    services = _services()
    c = run(lambda: services.accept_offer(actor=_actor(as_), candidate_id=candidate_id, version=version))
    _show_candidate(c, format)


@resume_app.command("upload")
def upload_resume(
    candidate_id: int,
    file: Path = typer.Argument(..., help="a PDF, a Word document (DOCX) or plain text / Markdown"),
    version: int = typer.Option(..., "--version"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Store the candidate's résumé (replacing any earlier one)."""
    services = _services()
    try:
        content = file.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read it ({exc})", 2)
        raise
    c = run(
        lambda: services.attach_resume(
            actor=_actor(as_), candidate_id=candidate_id, filename=file.name, content=content, version=version
        )
    )
    _show_candidate(c, format)


@resume_app.command("download")
def download_resume(
    candidate_id: int,
    out: Path = typer.Option(..., "--out", help="where to write the file"),
    as_: str = AS,
):
    """Write the candidate's résumé to a file (insiders only)."""
    services = _services()
    resume = run(lambda: services.read_resume(actor=_actor(as_), candidate_id=candidate_id))
    out.write_bytes(resume.content)
    typer.echo(f"wrote {out} ({resume.content_type}, {len(resume.content)} bytes)")


@hiring.command("erase")
def erase_candidate(
    candidate_id: int,
    reason: str = typer.Option(..., "--reason", help="why (kept in plain text: no personal content)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Erase a candidate's personal content (the opening's recruiters and admins)."""
    services = _services()
    c = run(lambda: services.erase_candidate(actor=_actor(as_), candidate_id=candidate_id, reason=reason))
    _show_candidate(c, format)


# ------------------------------------------------------------------------------------------------ health


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@hiring.command("health")
def health(
    since: str = typer.Option(None, "--since", help="YYYY-MM-DD"),
    until: str = typer.Option(None, "--until", help="YYYY-MM-DD"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """The hiring mechanism's health over the loops decided in the period (admins, leadership, recruiters)."""
    services = _services()
    try:
        start = dt.date.fromisoformat(since) if since else None
        end = dt.date.fromisoformat(until) if until else None
    except ValueError:
        fail("--since and --until are dates such as 2026-03-31", 2)
        raise
    r = run(lambda: services.hiring_health(actor=_actor(as_), since=start, until=end))
    if format is Format.json:
        return emit_json(r)

    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    emit_table(
        "Hiring mechanism health",
        ["figure", "value"],
        [
            ("loops decided", r.loops_decided),
            ("qualified, independent bar raiser", _pct(r.qualified_independent_share)),
            ("feedback submitted", r.feedback_submitted),
            ("median minutes to submit", minutes(r.feedback_median_minutes)),
            ("p90 minutes to submit", minutes(r.feedback_p90_minutes)),
            ("submitted within 24 h", _pct(r.feedback_within_24h_share)),
            ("veto rate", f"{_pct(r.veto_rate)} ({r.vetoes})"),
            ("override rate", f"{_pct(r.override_rate)} ({r.overrides})"),
            ("principle coverage", _pct(r.principle_coverage_share)),
        ],
    )
    emit_table(
        "Interviewer calibration",
        ["interviewer", "loops", "votes", "inclined", "agreed with outcome"],
        [(c.handle, c.loops, c.votes, c.inclined, _pct(c.agreement)) for c in r.calibration],
    )


# --- loops: the loop commands below

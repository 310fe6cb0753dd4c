"""CLI of the hiring app: `mech hiring principles|openings|opening|candidates|candidate|resume|erase|health`, then
(below the loops banner) the loop commands.

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account; without it a command runs as the
product itself, which reads openings and principles but is an outsider to every candidate and loop (it sees none).
"""

from __future__ import annotations

import datetime as _dt
import datetime as dt
from pathlib import Path
from typing import Any

import typer

from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run, setup_django
from mechanisms.kernel.cli import setup_django as _setup_django
from mechanisms.kernel.machine_cli import mount as _mount_machine
from mechanisms.kernel.machine_cli import mount as mount_machine
from mechanisms.kernel.machine_cli import show_moves

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
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


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
    revision = f", revision {o.job_description_revision}" if o.job_description_revision else ""
    typer.echo(f"  job description: {len(o.job_description)} characters{revision}")


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
        show_moves(actions)


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
    jd_file: Path = typer.Option(None, "--jd-file", help="the job description, a Markdown file: its next revision"),
    jd_note: str = typer.Option("", "--jd-note", help="why the job description changed (the revision's note)"),
    principles: str = typer.Option(None, "--principles", help="principle slugs separated by commas"),
    recruiter: str = typer.Option(None, "--recruiter", help="handle"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Change an opening's title, level, job description (kept as the next revision of its document), principles or
    recruiter."""
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
            actor=_actor(as_),
            opening_id=opening_id,
            changes=OpeningChanges(**values),
            version=version,
            job_description_note=jd_note,
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

# The loops part: `loops`, `loop show|create|check|status|bar-raiser|<transition>`, `interview add|update|cancel|mine`,
# `feedback show|save|submit --file`, `debrief`, `vote`, `recommend`, `decide`.

AS = typer.Option(None, "--as", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")
loop_app = typer.Typer(help="One loop: show, create, check, the feedback status, the bar raiser, its transitions.")
interview_app = typer.Typer(help="Interviews: add, move, cancel; your own interviews.")
feedback_app = typer.Typer(help="Feedback: show (sealed), save a draft, submit from a YAML or JSON file.")
hiring.add_typer(loop_app, name="loop")
hiring.add_typer(interview_app, name="interview")
hiring.add_typer(feedback_app, name="feedback")


def _loops():
    _setup_django()
    from mechanisms.hiring import services

    return services


def _as(handle: str | None):
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _person(handle: str | None) -> int | None:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    if not handle:
        return None
    return run(lambda: org_services.get_person_by_handle(actor=Actor.system("hiring"), handle=handle)).id


def _when(value: str, option: str) -> _dt.datetime:
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date and time such as 2026-03-02T10:00+00:00", EXIT_USAGE)
    if parsed.tzinfo is None:
        fail(f"{option} must carry its time zone, such as 2026-03-02T10:00+00:00", EXIT_USAGE)
    return parsed


def _show_loop(loop, format: Format, extra: dict | None = None) -> None:
    if format is Format.json:
        return emit_json({"loop": loop, **(extra or {})})
    typer.echo(f"#{loop.id} {loop.title}  [{loop.state.value}]  version {loop.version}")
    typer.echo(f"  candidate: {loop.candidate_name}; bar raiser: {loop.bar_raiser_handle or '-'}")
    if loop.vetoed:
        typer.echo("  VETOED by the bar raiser (do not proceed)")
    if loop.decision:
        typer.echo(f"  decision: {loop.decision.value}")
    for i in loop.interviews:
        status = "cancelled" if i.cancelled else ("submitted" if i.submitted_at else "feedback due")
        typer.echo(
            f"  interview #{i.id} {i.interviewer_handle} {i.starts_at:%Y-%m-%d %H:%M} {','.join(i.principles)}"
            f" [{status}]"
        )
    for key, values in (extra or {}).items():
        for value in values:
            typer.echo(f"  {key}: {value}")


@hiring.command("loops")
def list_loops(
    opening: int = typer.Option(None, "--opening", help="opening id"),
    state: str = typer.Option(None, "--state"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The loops you are an insider of, newest first."""
    services = _loops()
    page = run(lambda: services.list_loops(actor=_as(as_), opening_id=opening, state=state, limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Loops",
        ["id", "state", "title", "bar raiser", "interviews"],
        [(r.id, r.state.value, r.title, r.bar_raiser_handle, len(r.interviews)) for r in page.items],
        page_footer(page),
        ellipsize=("title",),
    )


@loop_app.command("show")
def show_loop(loop_id: int, as_: str = AS, format: Format = FORMAT):
    """One loop, the transitions you may take and what would refuse its start."""
    services = _loops()
    view = run(lambda: services.loop_view(actor=_as(as_), loop_id=loop_id))
    _show_loop(
        view.loop,
        format,
        {"you may": list(view.actions), "problem": [f"{p.rule} ({p.field}): {p.message}" for p in view.problems]},
    )


@loop_app.command("create")
def create_loop(
    candidate: int = typer.Option(..., "--candidate", help="candidate id"),
    bar_raiser: str = typer.Option(None, "--bar-raiser", help="handle; omit to take the first suggestion"),
    reason: str = typer.Option("", "--reason", help="why, for a pick other than the first suggestion"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Start planning a candidate's loop (the bar raiser is suggested unless you name one)."""
    services = _loops()
    loop = run(
        lambda: services.create_loop(
            actor=_as(as_), candidate_id=candidate, bar_raiser_id=_person(bar_raiser), reason=reason
        )
    )
    _show_loop(loop, format)


@loop_app.command("check")
def check_loop(loop_id: int, as_: str = AS, format: Format = FORMAT):
    """Every loop rule the loop breaks now (exit 1 when there is any)."""
    services = _loops()
    problems = run(lambda: services.loop_check(actor=_as(as_), loop_id=loop_id))
    if format is Format.json:
        emit_json(problems)
    else:
        for p in problems:
            typer.echo(f"{p.rule} ({p.field}): {p.message}")
        if not problems:
            typer.echo("no problems: the loop may start")
    raise typer.Exit(1 if problems else 0)


@loop_app.command("status")
def feedback_status(loop_id: int, as_: str = AS, format: Format = FORMAT):
    """Who has submitted feedback and when (never a vote before the debrief)."""
    services = _loops()
    status = run(lambda: services.feedback_status(actor=_as(as_), loop_id=loop_id))
    if format is Format.json:
        return emit_json(status)
    emit_table(
        f"Loop #{status.loop_id} feedback ({status.state.value})",
        ["interview", "interviewer", "submitted", "minutes"],
        [
            (
                line.interview_id,
                line.interviewer_handle,
                f"{line.submitted_at:%Y-%m-%d %H:%M}" if line.submitted_at else ("late" if line.overdue else None),
                line.minutes_to_submit,
            )
            for line in status.lines
        ],
        f"outstanding: {status.outstanding}",
    )


@loop_app.command("bar-raiser")
def change_bar_raiser(
    loop_id: int,
    version: int = typer.Option(..., "--version"),
    bar_raiser: str = typer.Option(None, "--bar-raiser", help="handle; omit to take the first suggestion"),
    reason: str = typer.Option("", "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Put another bar raiser on the loop before its debrief."""
    services = _loops()
    loop = run(
        lambda: services.change_bar_raiser(
            actor=_as(as_), loop_id=loop_id, version=version, bar_raiser_id=_person(bar_raiser), reason=reason
        )
    )
    _show_loop(loop, format)


def _perform_loop(transition, loop_id: int, version: int, as_: str | None, format: Format, values: dict) -> None:
    services = _loops()
    loop = run(
        lambda: services.apply_loop_transition(
            actor=_as(as_), loop_id=loop_id, version=version, transition=transition.name, values=values
        )
    )
    _show_loop(loop, format)


def _loop_machine():
    from mechanisms.hiring.machines import LOOP  # pure: mounting keeps `mech --help` fast

    return LOOP


_mount_machine(loop_app, _loop_machine(), perform=_perform_loop)


@interview_app.command("add")
def add_interview(
    loop_id: int,
    interviewer: str = typer.Option(..., "--interviewer", help="handle"),
    starts: str = typer.Option(..., "--starts", help="e.g. 2026-03-02T10:00+00:00"),
    ends: str = typer.Option(..., "--ends", help="e.g. 2026-03-02T11:00+00:00"),
    principle: list[str] = typer.Option(..., "--principle", help="one or two of the opening's principle slugs"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Add an interview to a loop."""
    services = _loops()
    record = run(
        lambda: services.add_interview(
            actor=_as(as_),
            loop_id=loop_id,
            interviewer_id=_person(interviewer),
            starts_at=_when(starts, "--starts"),
            ends_at=_when(ends, "--ends"),
            principles=tuple(principle),
        )
    )
    if format is Format.json:
        return emit_json(record)
    typer.echo(
        f"interview #{record.id}: {record.interviewer_handle} {record.starts_at:%Y-%m-%d %H:%M}, "
        f"{', '.join(record.principles)} (version {record.version})"
    )


@interview_app.command("cancel")
def cancel_interview(
    interview_id: int,
    version: int = typer.Option(..., "--version"),
    reason: str = typer.Option("", "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Cancel an interview whose feedback is not submitted."""
    services = _loops()
    record = run(
        lambda: services.cancel_interview(actor=_as(as_), interview_id=interview_id, version=version, reason=reason)
    )
    if format is Format.json:
        return emit_json(record)
    typer.echo(f"interview #{record.id} cancelled")


@interview_app.command("mine")
def my_interviews(
    upcoming: bool = typer.Option(None, "--upcoming/--past"),
    limit: int = 50,
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Your interviews with their feedback status."""
    services = _loops()
    page = run(lambda: services.my_interviews(actor=_as(as_), upcoming=upcoming, limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Your interviews",
        ["interview", "loop", "starts", "principles", "feedback"],
        [
            (
                i.interview_id,
                i.loop_title,
                f"{i.starts_at:%Y-%m-%d %H:%M}",
                ", ".join(i.principles),
                i.feedback + (" (late)" if i.overdue else ""),
            )
            for i in page.items
        ],
        page_footer(page),
        ellipsize=("loop",),
    )


def _show_feedback(fb, format: Format) -> None:
    if format is Format.json:
        return emit_json(fb)
    state = f"submitted {fb.submitted_at:%Y-%m-%d %H:%M} ({fb.minutes_to_submit} min)" if fb.submitted_at else "draft"
    typer.echo(f"feedback on interview #{fb.interview_id} by {fb.interviewer_handle}: {state}")
    typer.echo(f"  vote: {fb.vote.value if fb.vote else '-'}")
    if fb.summary:
        typer.echo(f"  summary: {fb.summary}")
    for e in fb.evidence:
        typer.echo(f"  {e.principle}: rating {e.rating if e.rating is not None else '-'}")
        for part in ("situation", "task", "action", "result"):
            typer.echo(f"    {part}: {getattr(e, part) or '-'}")


@feedback_app.command("show")
def show_feedback(interview_id: int, as_: str = AS, format: Format = FORMAT):
    """One interviewer's feedback: yours always; anyone else's only once the debrief is open."""
    services = _loops()
    _show_feedback(run(lambda: services.get_feedback(actor=_as(as_), interview_id=interview_id)), format)


FEEDBACK_KEYS = ("vote", "summary", "evidence")
EVIDENCE_KEYS = ("principle", "situation", "task", "action", "result", "rating")


def read_feedback_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """A feedback file (YAML or JSON) as the service's input and a map from each field's path ("evidence[0].result")
    to its line; a file that cannot be read, or has unknown keys or wrong types, fails naming file, line and field."""
    import yaml

    from mechanisms.hiring.contracts import EvidenceInput

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{path}: cannot read the file: {exc}", EXIT_USAGE)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        fail(f"{path}{line}: not valid YAML or JSON: {getattr(exc, 'problem', exc)}", EXIT_USAGE)
    lines: dict[str, int] = {}

    def bad(node, field: str, message: str) -> None:
        fail(f"{path}:{node.start_mark.line + 1}: {field}: {message}", EXIT_USAGE)

    def scalar(node, field: str, kind: type) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            bad(node, field, f"must be {'a number' if kind is int else 'text'}")
        value = yaml.safe_load(yaml.serialize(node))
        if value is None:
            return None
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            bad(node, field, "must be a whole number (1 to 4)")
        if kind is str:
            value = str(value) if not isinstance(value, str) and not isinstance(value, bool) else value
            if not isinstance(value, str):
                bad(node, field, "must be text")
        return value

    def mapping(node, field: str, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            bad(node, field or "file", "must be a mapping of " + ", ".join(keys))
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            name = f"{field}.{key}" if field else key
            if key not in keys:
                bad(key_node, name, f"unknown field; expected {', '.join(keys)}")
            lines[name] = value_node.start_mark.line + 1
            out[key] = value_node
        return out

    if root is None:
        fail(f"{path}:1: file: the file is empty; expected {', '.join(FEEDBACK_KEYS)}", EXIT_USAGE)
    top = mapping(root, "", FEEDBACK_KEYS)
    values: dict[str, Any] = {
        "vote": scalar(top["vote"], "vote", str) if "vote" in top else None,
        "summary": scalar(top["summary"], "summary", str) or "" if "summary" in top else "",
        "evidence": [],
    }
    if "evidence" in top:
        items = top["evidence"]
        if not isinstance(items, yaml.SequenceNode):
            bad(items, "evidence", "must be a list, one entry per assigned principle")
        for n, item in enumerate(items.value):
            where = f"evidence[{n}]"
            lines[where] = item.start_mark.line + 1
            entry = mapping(item, where, EVIDENCE_KEYS)
            parts = {
                k: (scalar(v, f"{where}.{k}", int) if k == "rating" else scalar(v, f"{where}.{k}", str) or "")
                for k, v in entry.items()
            }
            values["evidence"].append(EvidenceInput(**{"principle": "", **parts}))
    return values, lines


def _write_from_file(submit: bool, interview_id: int, file: Path, as_: str | None, format: Format) -> None:
    from mechanisms.kernel.errors import DomainError

    values, lines = read_feedback_file(file)
    services = _loops()
    write = services.submit_feedback if submit else services.save_feedback
    try:
        fb = write(actor=_as(as_), interview_id=interview_id, **values)
    except DomainError as exc:
        field = exc.field or ""
        probe = field
        while probe and probe not in lines:  # the nearest enclosing field the file has: evidence[0] for its rating
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        where = f":{lines[probe]}" if probe else ""
        fail(f"{file}{where}: {field or 'feedback'}: {exc.message}")
    _show_feedback(fb, format)


@feedback_app.command("save")
def save_feedback(
    interview_id: int,
    file: Path = typer.Option(..., "--file", help="feedback.yaml or .json: vote, summary, evidence (STAR, rating)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Save your draft feedback from a file (readable by you alone)."""
    _write_from_file(False, interview_id, file, as_, format)


@feedback_app.command("submit")
def submit_feedback(
    interview_id: int,
    file: Path = typer.Option(..., "--file", help="feedback.yaml or .json: vote, summary, evidence (STAR, rating)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Submit your feedback from a file; it never changes afterwards. A bad file names file, line and field."""
    _write_from_file(True, interview_id, file, as_, format)


@hiring.command("debrief")
def debrief(loop_id: int, as_: str = AS, format: Format = FORMAT):
    """The debrief room: every written vote first, then the feedback, the changed votes, the recommendation."""
    services = _loops()
    room = run(lambda: services.get_debrief(actor=_as(as_), loop_id=loop_id))
    if format is Format.json:
        return emit_json(room)
    typer.echo(f"{room.loop.title}: debrief")
    for v in room.votes:
        typer.echo(f"  vote {v.interviewer_handle}: {v.vote.value} ({v.minutes_to_submit} min after the interview)")
    for m in room.missing:
        typer.echo(f"  no feedback from {m}")
    for fb in room.feedback:
        _show_feedback(fb, format)
    for c in room.changed_votes:
        typer.echo(f"  changed vote {c.person_handle}: {c.vote.value} because {c.reason}")
    typer.echo(f"  recommendation: {room.recommendation or '-'}" + ("  (VETO)" if room.vetoed else ""))
    typer.echo(f"  decision: {room.decision.value if room.decision else '-'}")


@hiring.command("vote")
def change_vote(
    loop_id: int,
    vote: str = typer.Option(..., "--vote", help="strong_hire, hire, no_hire or strong_no_hire"),
    reason: str = typer.Option(..., "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Change your vote in the debrief: a new entry with its reason."""
    services = _loops()
    entry = run(lambda: services.change_vote(actor=_as(as_), loop_id=loop_id, vote=vote, reason=reason))
    if format is Format.json:
        return emit_json(entry)
    typer.echo(f"vote changed to {entry.vote.value}")


@hiring.command("recommend")
def recommend(
    loop_id: int,
    recommendation: str = typer.Option(..., "--recommendation", help="approve, approve_with_concerns, do_not_proceed"),
    reasoning: str = typer.Option(..., "--reasoning"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """The bar raiser's recommendation at the debrief (do_not_proceed is a veto)."""
    services = _loops()
    loop = run(
        lambda: services.recommend_on_loop(
            actor=_as(as_), loop_id=loop_id, recommendation=recommendation, reasoning=reasoning
        )
    )
    _show_loop(loop, format)


@hiring.command("decide")
def decide(
    loop_id: int,
    version: int = typer.Option(..., "--version"),
    decision: str = typer.Option(..., "--decision", help="hire or no_hire"),
    rationale: str = typer.Option(..., "--rationale"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """The hiring manager's decision with its rationale (refused as a hire under a veto)."""
    services = _loops()
    loop = run(
        lambda: services.decide(
            actor=_as(as_), loop_id=loop_id, decision=decision, rationale=rationale, version=version
        )
    )
    _show_loop(loop, format)

"""CLI of the hiring app: `mech hiring principles|openings|opening|candidates|candidate|resume|erase|health`, then
(below the `# --- loops` banner) the loop commands.

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account; without it a command runs as the
product itself, which is an outsider to every candidate and loop (it reads openings only).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import typer

from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run
from mechanisms.kernel.cli import setup_django as _setup_django
from mechanisms.kernel.machine_cli import mount as _mount_machine

hiring = typer.Typer(
    help="Hiring: principles, openings, candidates, résumés, erasure, health; loops.", no_args_is_help=True
)


@hiring.callback()
def _main() -> None:
    """Hiring (MECHANISMS.md §5)."""


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

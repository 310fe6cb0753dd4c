"""CLI of the decisions app: `mech decisions list|show|new|stance|outcome|track-record|<transition>`; MADR files
are workflows' (`mech decisions import|export|check`, mounted into this group).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account; without it a command runs as
the product itself, which may read but owns no decision and signs no stance.
"""

from __future__ import annotations

import datetime as dt

import typer

from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run, setup_django
from mechanisms.kernel.machine_cli import mount as mount_machine
from mechanisms.kernel.machine_cli import show_moves

decisions = typer.Typer(
    help="Decision records: stances, revisits, outcomes; MADR import and export.", no_args_is_help=True
)

AS = typer.Option(None, "--as", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.decisions import services

    return services


def _actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _person_id(handle: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_person_by_handle(actor=Actor.system("decisions"), handle=handle.lstrip("@"))).id


def _by_number(services, actor, number: int):
    found = run(lambda: services.find_decision(actor=actor, number=number))
    if found is None:
        fail(f"there is no decision {number}")
    return found


def _show(d, format: Format) -> None:
    if format is Format.json:
        emit_json(d)
        return
    typer.echo(f"#{d.number} {d.question}  [{d.status.value}]  id {d.id}, version {d.version}")
    typer.echo(
        f"  {d.door.value.replace('_', '-')} door; {d.category.value}" + ("; high impact" if d.high_impact else "")
    )
    for o in d.options:
        typer.echo(f"  {'*' if o.position == d.chosen_option else ' '} {o.position}. {o.title}")
    for p in d.participants:
        stance = p.stance.value if p.stance else "not signed"
        typer.echo(f"  participant {p.person_id}: {stance}" + (f" — {p.new_information}" if p.new_information else ""))
    if d.outcome:
        typer.echo(f"  outcome: {d.outcome.value}")


@decisions.command("list")
def list_decisions(
    owner: str = typer.Option(None, "--owner", help="owner's handle"),
    status: str = typer.Option(None, "--status"),
    category: str = typer.Option(None, "--category"),
    text: str = typer.Option(None, "--text", help="words of the question, context or decision"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    format: Format = FORMAT,
):
    """The decision log, newest first."""
    services = _services()
    page = run(
        lambda: services.list_decisions(
            actor=_actor(None),
            owner_id=_person_id(owner) if owner else None,
            status=status,
            category=category,
            text=text,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Decisions",
        ["#", "status", "door", "question", "outcome"],
        [
            (
                d.number,
                d.status.value,
                d.door.value.replace("_", "-"),
                d.question,
                d.outcome.value if d.outcome else "-",
            )
            for d in page.items
        ],
        page_footer(page),
        ellipsize=("question",),
    )


@decisions.command("show")
def show(number: int = typer.Argument(..., help="the decision's number"), as_: str = AS, format: Format = FORMAT):
    """One decision, its stances, and the transitions you may take."""
    services = _services()
    actor = _actor(as_)
    d = _by_number(services, actor, number)
    view = run(lambda: services.decision_view(actor=actor, decision_id=d.id))
    if format is Format.json:
        return emit_json(view)
    _show(view.decision, format)
    show_moves(view.actions)


@decisions.command("new")
def new(
    question: str = typer.Option(..., "--question"),
    context: str = typer.Option("", "--context"),
    option: list[str] = typer.Option([], "--option", help="an option's title; repeat"),
    door: str = typer.Option("two_way", "--door", help="one_way or two_way"),
    category: str = typer.Option("other", "--category"),
    high_impact: bool = typer.Option(False, "--high-impact"),
    participant: list[str] = typer.Option([], "--participant", help="a participant's handle; repeat"),
    revisit_on: str = typer.Option(None, "--revisit-on", help="YYYY-MM-DD"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Record a proposed decision, owned by the --as person."""
    services = _services()
    from mechanisms.decisions.contracts import OptionInput

    try:
        revisit = dt.date.fromisoformat(revisit_on) if revisit_on else None
    except ValueError:
        fail("--revisit-on: not a date such as 2026-03-31", EXIT_USAGE)
    d = run(
        lambda: services.create_decision(
            actor=_actor(as_),
            question=question,
            context=context,
            options=[OptionInput(title) for title in option],
            door=door,
            category=category,
            high_impact=high_impact,
            participant_ids=[_person_id(h) for h in participant],
            revisit_on=revisit,
        )
    )
    _show(d, format)


@decisions.command("stance")
def stance(
    number: int = typer.Argument(..., help="the decision's number"),
    stance: str = typer.Option(..., "--stance", help="agree, disagree_and_commit or still_disagree"),
    new_information: str = typer.Option("", "--new-information", help="what your dissent brings"),
    as_: str = typer.Option(..., "--as", help="you, the participant (handle)"),
    format: Format = FORMAT,
):
    """Sign your own stance on a decision (only the participant signs theirs)."""
    services = _services()
    actor = _actor(as_)
    d = _by_number(services, actor, number)
    _show(
        run(
            lambda: services.sign_stance(actor=actor, decision_id=d.id, stance=stance, new_information=new_information)
        ),
        format,
    )


@decisions.command("outcome")
def outcome(
    number: int = typer.Argument(..., help="the decision's number"),
    outcome: str = typer.Option(..., "--outcome", help="right, partly_right, wrong or too_early"),
    note: str = typer.Option("", "--note"),
    version: int = typer.Option(..., "--version", help="the version you read (see `show`)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Record the later outcome review (the owner or their manager)."""
    services = _services()
    actor = _actor(as_)
    d = _by_number(services, actor, number)
    _show(
        run(
            lambda: services.record_outcome(actor=actor, decision_id=d.id, outcome=outcome, note=note, version=version)
        ),
        format,
    )


@decisions.command("track-record")
def track_record(owner: str = typer.Option(None, "--owner", help="owner's handle"), format: Format = FORMAT):
    """How often each owner was right ("right a lot")."""
    services = _services()
    lines = run(lambda: services.track_record(actor=_actor(None), owner_id=_person_id(owner) if owner else None))
    if format is Format.json:
        return emit_json(lines)
    emit_table(
        "Track record",
        ["owner", "decided", "reviewed", "right", "partly", "wrong", "right share"],
        [
            (
                line.owner_id,
                line.decided,
                line.reviewed,
                line.right,
                line.partly_right,
                line.wrong,
                "-" if line.right_share is None else f"{line.right_share:.0%}",
            )
            for line in lines
        ],
    )


def _perform(transition, decision_id: int, version: int, as_: str | None, format: Format, values: dict) -> None:
    services = _services()
    d = run(
        lambda: services.apply_transition(
            actor=_actor(as_), decision_id=decision_id, version=version, transition=transition.name, values=values
        )
    )
    _show(d, format)


def _machine():
    # The declaration is pure (no Django), so mounting the commands keeps `mech --help` fast.
    from mechanisms.decisions.machines import MACHINE

    return MACHINE


# One command per declared transition (decisions/machines.py): `mech decisions <slug> ID --version N --as HANDLE`.
mount_machine(decisions, _machine(), perform=_perform)

"""CLI of the bar-raisers app: `mech bar-raisers list|show|add|update|assignments|check` (MECHANISMS.md §4).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (an operator on the server);
without it a command runs as the product itself (an admin, who may manage the pool but holds no assignment).
`check` exits 1 when the person is not independent of the subject (a finding), like every other check.
"""

from __future__ import annotations

import datetime as dt

import typer

from mechanisms.kernel.cli import Format, emit_json, emit_table, fail, page_footer, run, setup_django
from mechanisms.kernel.machine_cli import mount as mount_machine
from mechanisms.kernel.machine_cli import resolve_refs, show_moves

bar_raisers = typer.Typer(
    help="The bar-raiser pool: who is trained, by whom, their capacity and load; assignments; independence.",
    no_args_is_help=True,
)

AS = typer.Option(None, "--as", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.bar_raisers import services

    return services


def _actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _person_id(handle: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_person_by_handle(actor=Actor.system("bar_raisers"), handle=handle)).id


def _team_id(slug: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_team_by_slug(actor=Actor.system("bar_raisers"), slug=slug)).id


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date YYYY-MM-DD, got {value!r}", code=2)


def _member_rows(m) -> list[tuple[str, object]]:
    return [
        ("handle", m.handle),
        ("name", m.name),
        ("trained on", m.trained_on.isoformat()),
        ("trainer", m.trainer_handle or None),
        ("load", f"{m.load} of {m.capacity}"),
        ("active", "yes" if m.active else "no"),
        ("note", m.note or None),
        ("version", m.version),
    ]


@bar_raisers.command("list")
def list_pool(
    active: bool = typer.Option(None, "--active/--inactive", help="only members taking assignments, or only not"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The pool by handle: trained on, trainer, load of capacity."""
    services = _services()
    page = run(lambda: services.list_pool(actor=_actor(as_), active=active, limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Bar-raiser pool",
        ["handle", "name", "trained on", "trainer", "load", "active"],
        [
            (
                m.handle,
                m.name,
                m.trained_on.isoformat(),
                m.trainer_handle or None,
                f"{m.load}/{m.capacity}",
                "yes" if m.active else "no",
            )
            for m in page.items
        ],
        page_footer(page),
        ellipsize=("name",),
    )


@bar_raisers.command("show")
def show(handle: str, as_: str = AS, format: Format = FORMAT):
    """One member, with their open assignments counted by kind of subject."""
    services = _services()
    person_id = _person_id(handle)
    view = run(lambda: services.member_view(actor=_actor(as_), person_id=person_id))
    if format is Format.json:
        return emit_json(view)
    emit_table(view.member.name, ["field", "value"], _member_rows(view.member))
    if view.load_by_kind:
        emit_table("Open assignments by kind", ["kind", "open"], sorted(view.load_by_kind.items()))


@bar_raisers.command("add")
def add(
    handle: str,
    trained_on: str = typer.Option(..., "--trained-on", help="the day they were trained, YYYY-MM-DD"),
    trainer: str = typer.Option(None, "--trainer", help="handle of the bar raiser who trained them"),
    capacity: int = typer.Option(2, "--capacity", help="open assignments at once (0-20)"),
    note: str = typer.Option("", "--note"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Put a trained person in the pool (admins, company-wide leadership)."""
    services = _services()
    day = _date(trained_on, "--trained-on")
    person_id, trainer_id = _person_id(handle), _person_id(trainer) if trainer else None
    member = run(
        lambda: services.add_to_pool(
            actor=_actor(as_), person_id=person_id, trained_on=day, trainer_id=trainer_id, capacity=capacity, note=note
        )
    )
    if format is Format.json:
        return emit_json(member)
    typer.echo(f"{member.handle} is in the bar-raiser pool (capacity {member.capacity}, version {member.version})")


@bar_raisers.command("update")
def update(
    handle: str,
    version: int = typer.Option(..., "--version", help="the version you read (see `show`)"),
    trained_on: str = typer.Option(None, "--trained-on", help="YYYY-MM-DD"),
    trainer: str = typer.Option(None, "--trainer", help="handle of the trainer"),
    no_trainer: bool = typer.Option(False, "--no-trainer", help="clear the trainer"),
    capacity: int = typer.Option(None, "--capacity", help="open assignments at once (0-20)"),
    active: bool = typer.Option(None, "--active/--inactive", help="taking new assignments or not"),
    note: str = typer.Option(None, "--note"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Change a member (admins, company-wide leadership); only the options given are changed."""
    from mechanisms.bar_raisers.contracts import PoolMemberChanges
    from mechanisms.kernel.changes import UNSET

    services = _services()
    if trainer and no_trainer:
        fail("give --trainer or --no-trainer, not both", code=2)
    day = _date(trained_on, "--trained-on")
    changes = PoolMemberChanges(
        trained_on=day if day is not None else UNSET,
        trainer_id=None if no_trainer else (_person_id(trainer) if trainer else UNSET),
        capacity=capacity if capacity is not None else UNSET,
        active=active if active is not None else UNSET,
        note=note if note is not None else UNSET,
    )
    person_id = _person_id(handle)
    member = run(
        lambda: services.update_pool_member(actor=_actor(as_), person_id=person_id, changes=changes, version=version)
    )
    if format is Format.json:
        return emit_json(member)
    typer.echo(f"{member.handle} changed (version {member.version})")


@bar_raisers.command("assignments")
def assignments(
    handle: str,
    all_: bool = typer.Option(False, "--all", help="released ones too"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """A bar raiser's assignments, newest first: only for the bar raiser themself (`--as` their handle)."""
    services = _services()
    person_id = _person_id(handle)
    page = run(
        lambda: services.list_assignments(
            actor=_actor(as_), person_id=person_id, open_only=not all_, limit=limit, offset=offset
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        f"Assignments of {handle}",
        ["id", "kind", "subject", "assigned", "released", "picked"],
        [
            (
                a.id,
                a.subject_kind.value,
                a.subject_id,
                f"{a.assigned_at:%Y-%m-%d}",
                f"{a.released_at:%Y-%m-%d}" if a.released_at else None,
                "suggested" if a.suggested else a.reason,
            )
            for a in page.items
        ],
        page_footer(page),
        ellipsize=("picked",),
    )


@bar_raisers.command("check")
def check(
    handle: str,
    owner: str = typer.Option(None, "--owner", help="handle of the hiring manager or decision owner"),
    team: list[str] = typer.Option([], "--team", help="slug of an owning team (repeat for several)"),
    excluded: list[str] = typer.Option([], "--excluded", help="handle of a person who may not take it (recruiter)"),
    kind: str = typer.Option("design", "--kind", help="kind of subject: the words of the answer"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Whether a person is independent of a subject (MECHANISMS.md §4); exit 1 when not."""
    from mechanisms.bar_raisers.contracts import Subject, SubjectKind

    services = _services()
    try:
        subject_kind = SubjectKind(kind)
    except ValueError:
        fail(f"--kind must be one of {', '.join(k.value for k in SubjectKind)}", code=2)
    subject = Subject(
        kind=subject_kind,
        id=0,
        title="independence check",
        owner_id=_person_id(owner) if owner else None,
        team_ids=tuple(_team_id(t) for t in team),
        excluded_ids=tuple(_person_id(h) for h in excluded),
    )
    person_id = _person_id(handle)
    problem = run(lambda: services.independence_problem(actor=_actor(as_), person_id=person_id, subject=subject))
    if format is Format.json:
        emit_json({"person": handle, "independent": problem is None, "problem": problem})
    else:
        typer.echo(f"{handle} is independent" if problem is None else f"not independent: {problem}")
    if problem is not None:
        raise typer.Exit(1)


# --- reviews


def _maybe_person_id(handle: str | None) -> int | None:
    return _person_id(handle) if handle else None


def _show_review(review, format: Format) -> None:
    if format is Format.json:
        emit_json(review)
        return
    typer.echo(f"review #{review.id} {review.title}  [{review.state.value}]  version {review.version}")
    typer.echo(f"  {review.subject_kind.value} {review.subject_id}  {review.url or ''}".rstrip())
    if review.question:
        typer.echo(f"  question: {review.question}")
    if review.recommendation:
        typer.echo(f"  recommendation: {review.recommendation.value}: {review.reasoning}")
    if review.response:
        typer.echo(f"  response: {review.response.value}" + (f": {review.rationale}" if review.rationale else ""))


def _review_rows(page):
    return [
        (
            r.id,
            r.subject_kind.value,
            r.state.value,
            r.title,
            r.recommendation.value if r.recommendation else "-",
            f"{r.due_on:%Y-%m-%d}" if r.due_on and r.state.value == "requested" else "-",
        )
        for r in page.items
    ]


@bar_raisers.command("reviews")
def list_reviews(
    bar_raiser: str = typer.Option(None, "--bar-raiser", help="the bar raiser's handle"),
    owner: str = typer.Option(None, "--owner", help="the owner's handle"),
    state: str = typer.Option(None, "--state", help="open, or a state: requested, recommended, accepted, ..."),
    kind: str = typer.Option(None, "--kind", help="hiring_loop, design, waiver, ..."),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Bar-raiser reviews you may read, newest first."""
    services = _services()
    page = run(
        lambda: services.list_reviews(
            actor=_actor(as_),
            bar_raiser_id=_maybe_person_id(bar_raiser),
            owner_id=_maybe_person_id(owner),
            state=state,
            kind=kind,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Bar-raiser reviews",
        ["id", "kind", "state", "subject", "recommendation", "due"],
        _review_rows(page),
        page_footer(page),
        ellipsize=("subject",),
    )


@bar_raisers.command("review")
def show_review(review_id: int, as_: str = AS, format: Format = FORMAT):
    """One review, its timeline, and the transitions you may take."""
    services = _services()
    view = run(lambda: services.review_view(actor=_actor(as_), review_id=review_id))
    if format is Format.json:
        return emit_json(view)
    _show_review(view.review, format)
    show_moves(view.actions, view.timeline)


@bar_raisers.command("overrides")
def list_overrides(
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The overrides report: owners who went against a bar raiser's recommendation, with their rationale."""
    services = _services()
    page = run(lambda: services.list_overrides(actor=_actor(as_), limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Overrides",
        ["id", "kind", "subject", "recommendation", "overridden", "rationale"],
        [
            (
                r.id,
                r.subject_kind.value,
                r.title,
                r.recommendation.value if r.recommendation else "-",
                f"{r.responded_at:%Y-%m-%d}" if r.responded_at else "-",
                r.rationale,
            )
            for r in page.items
        ],
        page_footer(page),
        ellipsize=("subject", "rationale"),
    )


def _perform_review(transition, review_id: int, version: int, as_: str | None, format: Format, values: dict) -> None:
    services = _services()
    resolved = run(lambda: resolve_refs(transition, values, {"person": _person_id}))
    review = run(
        lambda: services.apply_review_transition(
            actor=_actor(as_), review_id=review_id, name=transition.name, version=version, values=resolved
        )
    )
    _show_review(review, format)


def _review_machine():
    # The declaration is pure (no Django), so mounting the commands keeps `mech --help` fast.
    from mechanisms.bar_raisers.machines import MACHINE

    return MACHINE


# One command per declared transition: `mech bar-raisers recommend|accept|override|withdraw ID --version N ...`.
mount_machine(bar_raisers, _review_machine(), perform=_perform_review)

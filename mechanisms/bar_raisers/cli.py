"""CLI of the bar-raisers app: `mech bar-raisers ...` (the pool, independence and assignments; reviews, their
transitions and the overrides report).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account; without it a command runs as the
product itself (an operator on the server).
"""

from __future__ import annotations

import typer

from mechanisms.kernel.cli import Format, emit_json, emit_table, page_footer, run, setup_django
from mechanisms.kernel.machine_cli import mount as mount_machine
from mechanisms.kernel.machine_cli import resolve_refs

bar_raisers = typer.Typer(
    help="Bar raisers: the pool, independence, assignments; reviews of any subject, overrides.",
    no_args_is_help=True,
)

AS = typer.Option(None, "--as", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.bar_raisers import services

    return services


def _actor(handle: str | None):
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _person_id(handle: str | None) -> int | None:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    if not handle:
        return None
    return run(lambda: org_services.get_person_by_handle(actor=Actor.system("bar_raisers"), handle=handle)).id


# --- reviews


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
            bar_raiser_id=_person_id(bar_raiser),
            owner_id=_person_id(owner),
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
    emit_table(
        "Timeline",
        ["when", "who", "transition", "from", "to", "note"],
        [
            (e.at.strftime("%Y-%m-%d %H:%M"), e.actor_label, e.transition, e.from_state, e.to_state, e.note)
            for e in view.timeline
        ],
    )
    typer.echo("you may: " + (", ".join(view.actions) or "nothing now"))


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

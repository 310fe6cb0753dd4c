"""CLI of the working_backwards app: `mech prfaqs ...` and `mech narratives ...`. Thin: parse, call one service,
print."""

from __future__ import annotations

import datetime as dt

import typer

from mechanisms.kernel.cli import Format, emit_json, emit_table, fail, run, setup_django

prfaqs = typer.Typer(
    help="PR/FAQs: write, check, review in widening circles, shelve, the funnel.", no_args_is_help=True
)
narratives = typer.Typer(help="Six-page narratives and their silent reading sessions.", no_args_is_help=True)


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
        ["circle", "reached", "there now", "went on", "shelved", "days (median)", "days (p90)", "why they stopped"],
        [
            (
                f"{int(s.circle)} {CIRCLE_WORDS[s.circle]}",
                s.reached,
                s.current,
                s.advanced,
                s.shelved,
                s.days_median,
                s.days_p90,
                "; ".join(f"{SHELVE_REASON_WORDS[r]} ({n})" for r, n in s.reasons) or None,
            )
            for s in report.steps
        ],
        ellipsize=["why they stopped"],
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

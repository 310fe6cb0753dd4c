"""CLI of the notifications app: `mech inbox list|read|prefs|deliver|outbox`.

Thin: parse, call one service, print. `--as HANDLE` (or MECH_AS) acts as that person's account, as an operator on
the server; `deliver` and `outbox` run as the product itself (cron runs `mech inbox deliver` every minute).
"""

from __future__ import annotations

import typer

from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run, setup_django

inbox = typer.Typer(help="Your notifications: the inbox, preferences, and the delivery outbox.", no_args_is_help=True)

AS = typer.Option(..., "--as", envvar="MECH_AS", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.notifications import services

    return services


def _actor(handle: str):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.actor_for_handle(handle=handle))


def _system():
    from mechanisms.kernel.actor import Actor

    return Actor.system("cli")


@inbox.command("list")
def list_inbox(
    unread: bool = typer.Option(False, "--unread", help="only unread notifications"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Your notifications, newest first."""
    services = _services()
    actor = _actor(as_)
    page = run(lambda: services.list_inbox(actor=actor, unread_only=unread, limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        f"Inbox of {actor.label}",
        ["id", "", "when", "what", "by", "link"],
        [
            (i.id, "" if i.read else "•", i.created_at.strftime("%Y-%m-%d %H:%M"), i.title, i.actor_label, i.url)
            for i in page.items
        ],
        page_footer(page),
    )


@inbox.command("read")
def mark_read(
    ids: list[int] = typer.Argument(None, help="ids of the notifications to mark read"),
    all_: bool = typer.Option(False, "--all", help="mark every notification read"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Mark notifications read: by id, or all of them."""
    if bool(ids) == all_:
        fail("name the ids to mark read, or --all (not both)", EXIT_USAGE)
    services = _services()
    actor = _actor(as_)
    marked = run(lambda: services.mark_read(actor=actor, item_ids=None if all_ else ids))
    unread = services.unread_count(actor=actor)
    if format is Format.json:
        return emit_json({"marked": marked, "unread": unread})
    typer.echo(f"marked {marked} read; {unread} unread")


@inbox.command("prefs")
def preferences(
    email: bool = typer.Option(None, "--email/--no-email", help="receive notifications by email"),
    chat: bool = typer.Option(None, "--chat/--no-chat", help="receive notifications in chat"),
    webhook: str = typer.Option(None, "--webhook", help="your Slack-compatible webhook URL ('' removes it)"),
    mute: list[str] = typer.Option(
        None, "--mute", help="a kind to mute (`mech inbox kinds` lists them), a prefix (away_request.*), or email:KIND"
    ),
    unmute: list[str] = typer.Option(None, "--unmute", help="a kind to hear about again"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Show your notification preferences, or change them with the options given."""
    services = _services()
    actor = _actor(as_)
    current = run(lambda: services.get_preferences(actor=actor))
    changing = any(v is not None for v in (email, chat, webhook)) or bool(mute) or bool(unmute)
    if changing:
        muted = None
        if mute or unmute:
            removed = {m.strip().lower() for m in unmute or []}
            muted = [m for m in current.muted_kinds if m not in removed] + [m for m in mute or [] if m not in removed]
        current = run(
            lambda: services.update_preferences(
                actor=actor,
                version=current.version,
                email=email,
                chat=chat,
                webhook_url=webhook,
                muted_kinds=muted,
            )
        )
    if format is Format.json:
        return emit_json(current)
    typer.echo(f"email: {'on' if current.email else 'off'}")
    typer.echo(
        f"chat:  {'on' if current.chat else 'off'}" + (f" ({current.webhook_url})" if current.webhook_url else "")
    )
    typer.echo("muted: " + (", ".join(current.muted_kinds) or "nothing"))


@inbox.command("deliver")
def deliver(format: Format = FORMAT):
    """Send every due email and chat post: new ones and retries whose backoff has passed (run it from cron)."""
    services = _services()
    report = run(lambda: services.deliver_pending(actor=_system()))
    if format is Format.json:
        return emit_json(report)
    typer.echo(
        f"attempted {report.attempted}: {report.sent} sent, {report.retrying} to retry, {report.failed} failed for good"
    )
    if report.failed:
        raise typer.Exit(1)


@inbox.command("outbox")
def outbox(
    status: str = typer.Option(None, "--status", help="pending, sent or failed"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    format: Format = FORMAT,
):
    """The outbox of emails and chat posts, newest first, with their attempts."""
    services = _services()
    page = run(lambda: services.list_deliveries(actor=_system(), status=status, limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Outbox",
        ["id", "channel", "to", "kind", "status", "attempts", "last error"],
        [(d.id, d.channel.value, d.target, d.kind, d.status.value, d.attempts, d.last_error) for d in page.items],
        page_footer(page),
    )


@inbox.command("kinds")
def kinds(format: Format = FORMAT):
    """Every kind of notification the product sends: what `prefs --mute` takes (or a prefix of it, with .*)."""
    services = _services()
    known = services.known_kinds()
    if format is Format.json:
        return emit_json(list(known))
    for kind in known:
        typer.echo(kind)

"""CLI of the notifications app: `mech inbox ...`."""

import typer

inbox = typer.Typer(help="Your notifications: the inbox, preferences, and the delivery outbox.", no_args_is_help=True)

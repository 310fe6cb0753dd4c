"""CLI of the documents app: `mech documents ...`. Thin: parse, call one service, print."""

from __future__ import annotations

import typer

documents = typer.Typer(
    help="Documents: revisions, diffs, comments, attachments, reading sessions.", no_args_is_help=True
)

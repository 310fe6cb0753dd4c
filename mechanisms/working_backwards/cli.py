"""CLI of the working_backwards app: `mech prfaqs ...` and `mech narratives ...`. Thin: parse, call one service,
print."""

from __future__ import annotations

import typer

prfaqs = typer.Typer(
    help="PR/FAQs: write, check, review in widening circles, shelve, the funnel.", no_args_is_help=True
)
narratives = typer.Typer(help="Six-page narratives and their silent reading sessions.", no_args_is_help=True)

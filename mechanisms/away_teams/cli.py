"""CLI of the away-teams app: `mech away ...`."""

import typer

away = typer.Typer(
    help="Away-team requests: file, answer, escalate, build, hand off; tax and credit.", no_args_is_help=True
)

"""The root `mech` command: mounts the commands every installed app declares (kernel.mounts); serves, generates the
demo, imports and exports.

Nothing here sets Django up at import: the declarations are read from the settings module and each app's `apps`
module (which import only `django.apps`), so offline commands (`mech check`) start fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer

from mechanisms.config import worker_cli
from mechanisms.interop.cli import check as check_command
from mechanisms.interop.experiments_cli import analyze as experiments_analyze
from mechanisms.interop.wbr_cli import wbr as wbr_app
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.cli import EXIT_USAGE, fail, migrate, run, setup_django
from mechanisms.kernel.mounts import declared_from_settings, load

app = typer.Typer(
    help="Mechanisms: the operating mechanisms of a service-oriented organization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"mech {version('mechanisms')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Mechanisms: the operating mechanisms of a service-oriented organization."""


def _mount() -> dict[str | None, typer.Typer]:
    """Every installed app's commands, as its AppConfig declares them (kernel.mounts), without setting Django up:
    groups first, so that an app may add a command to another app's group (`mech teams form` is workflows')."""
    groups: dict[str | None, typer.Typer] = {None: app}
    commands = [c for _, mounts in declared_from_settings() for c in mounts.cli]
    for command in sorted(commands, key=lambda c: c.parent is not None):
        target = load(command.target)
        parent = groups.get(command.parent)
        if parent is None:
            raise LookupError(f"mech {command.name}: no installed app declares the group {command.parent!r}")
        if isinstance(target, typer.Typer):
            parent.add_typer(target, name=command.name)
            groups[command.name] = target
        else:
            parent.command(command.name)(target)
    return groups


_groups = _mount()
import_app = typer.Typer(help="Import the org and catalog (all or nothing).", no_args_is_help=True)
export_app = typer.Typer(help="Export the org and catalog.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
# Offline: `mech check` never sets up Django (DESIGN.md §3, pure rules run everywhere).
app.command("check")(check_command)
app.add_typer(wbr_app, name="wbr")
# Offline too: `mech experiments analyze` (interop; the launcher runs it without Typer or Django).
_groups["experiments"].command("analyze")(experiments_analyze)
# Background work: the task queue and the periodic schedule (docs/worker.md).
app.command("worker")(worker_cli.worker)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(0, "--workers", help="gunicorn workers (default: one per core, at least 2)"),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="apply pending migrations first"),
):
    """Serve the web app and the API with gunicorn (several workers)."""
    setup_django()
    if migrate_first:
        migrate()
    # Requests are CPU-bound (the database is local or near): one worker per core served the catalog API ~40% faster
    # than two per core in bench/api_catalog.py, with a lower p99. Raise --workers when the database is far away.
    count = workers or max(2, os.cpu_count() or 1)
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "mechanisms.config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(count),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        "--timeout",
        "60",
    ]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mechanisms.config.settings")
    os.execv(sys.executable, args)


@app.command()
def demo(
    teams_count: int = typer.Option(16, "--teams", min=1, max=2000, help="number of teams (up to 2,000)"),
    seed: int = typer.Option(7, "--seed"),
    if_empty: bool = typer.Option(False, "--if-empty", help="only when the database has no teams yet"),
):
    """Load the demo organization (deterministic; a second run changes nothing) and its demo accounts."""
    setup_django()
    migrate()
    from mechanisms.org import services as org_services
    from mechanisms.workflows.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, evaluate_if_never_evaluated, load_demo

    if if_empty and org_services.list_teams(actor=Actor.system("config"), limit=1).total:
        typer.echo("the database already has an organization; demo not loaded")
        if run(evaluate_if_never_evaluated):
            typer.echo("it had never been evaluated: evaluated the mandate once, so its scorecards show its findings")
        return

    # The demo's own notices (its requests being filed and answered) land in the inbox only: its people's
    # addresses are made up, and nobody's chat channel should hear about a demo.
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    settings.MECH_CHAT_WEBHOOK_URL = ""
    settings.NOTIFICATIONS_DISPATCH = "inline"
    report = run(lambda: load_demo(teams=teams_count, seed=seed))
    created = ", ".join(f"{n} {k}" for k, n in report.created.items() if n)
    typer.echo(f"demo organization loaded ({created or 'already up to date'})")
    typer.echo("sign in as: " + ", ".join(f"{u} / {DEMO_PASSWORD}" for u, _ in DEMO_ACCOUNTS))
    if teams_count == 16:
        typer.echo("every team leader of the demo (e.g. ingrid.varga of Payments) signs in with the same password")


@app.command()
def migrate_db():
    """Apply database migrations."""
    setup_django()
    migrate(verbosity=1)


@export_app.command("json")
def export_json(output: Path = typer.Option(None, "-o", "--output", help="file to write (default: stdout)")):
    """Export the whole org and catalog as JSON (mech import json reads it back, losslessly)."""
    setup_django()
    from mechanisms.workflows.catalog_io import export_everything

    text = json.dumps(export_everything(), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(text)


@import_app.command("json")
def import_json(
    file: Path = typer.Argument(..., help="an export document"),
    prune: bool = typer.Option(False, "--prune", help="also remove what the file no longer has"),
):
    """Import an export document: all or nothing; every problem is reported with its location."""
    try:
        data = file.read_bytes()
        document = json.loads(data.decode("utf-8"))
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError as exc:
        # Located like a JSON error: line and column of the first bad byte, and its offset for a hex editor.
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        fail(f"{file}:{line}:{column}: not UTF-8 text (byte offset {exc.start}: {exc.reason})", EXIT_USAGE)
    except json.JSONDecodeError as exc:
        fail(f"{file}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}", EXIT_USAGE)
    setup_django()
    migrate()
    from mechanisms.kernel.actor import Actor
    from mechanisms.workflows.catalog_io import import_everything

    report = run(
        lambda: import_everything(actor=Actor.system("cli import"), document=document, prune=prune, origin=str(file))
    )
    typer.echo(json.dumps(report.as_dict(), indent=2))


@import_app.command("backstage")
def import_backstage(
    paths: list[str] = typer.Argument(..., help="Backstage descriptor files or folders"),
    prune: bool = typer.Option(False, "--prune", help="also remove what the files no longer have"),
):
    """Import Backstage catalog files (catalog-info.yaml): idempotent, keyed by entity reference, all or nothing;
    every problem is reported with its file, line, entity and field (exit 2)."""
    setup_django()
    migrate()
    from mechanisms.kernel.actor import Actor
    from mechanisms.kernel.importing import ImportFailed
    from mechanisms.workflows.backstage_io import import_backstage as run_import

    try:
        report = run_import(actor=Actor.system("cli import"), paths=paths, prune=prune)
    except ImportFailed as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s); nothing was imported", EXIT_USAGE)
    typer.echo(json.dumps(report.as_dict(), indent=2))


@export_app.command("backstage")
def export_backstage(folder: Path = typer.Argument(..., help="folder to write the YAML files into")):
    """Export the org and catalog as Backstage YAML (mech import backstage reads it back)."""
    setup_django()
    from mechanisms.workflows.backstage_io import export_backstage as run_export

    for path in run_export(folder=folder):
        typer.echo(f"wrote {path}")


def main() -> None:
    from mechanisms.config.launcher import main as launch

    launch()


if __name__ == "__main__":
    main()

"""`mech worker`: run the task queue and the periodic schedule in one process (docs/worker.md). Thin: parse, set
up Django (lazily, so `mech check` stays fast), hand over to ``kernel.worker.WorkerLoop``."""

from __future__ import annotations

import typer

from mechanisms.kernel.cli import EXIT_USAGE, emit_json, fail, migrate, setup_django


def worker(
    once: bool = typer.Option(False, "--once", help="run what is due and queued, then exit (tests, a cron fallback)"),
    interval: float = typer.Option(5.0, "--interval", min=0.0, max=3600.0, help="seconds between passes"),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="apply pending migrations first"),
    json_report: bool = typer.Option(False, "--json", help="print what was done as JSON when the worker stops"),
    status: bool = typer.Option(False, "--status", help="print the queue's counts and each job's last run, then exit"),
):
    """Run queued tasks and the periodic schedule (reminders, escalations, warranty ends, notification retries,
    mandate re-evaluation) until SIGTERM or Ctrl+C; several workers may share one PostgreSQL database.
    With --once, exit 1 when a task failed (its traceback is kept in the task table); 2 without the database
    task backend."""
    setup_django()
    if migrate_first:
        migrate()
    from mechanisms.kernel.worker import WorkerLoop, queue_status

    if status:
        return emit_json(queue_status())

    try:
        loop = WorkerLoop(interval=interval)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    restore = loop.install_signal_handlers()
    try:
        report = loop.run(once=once)
    finally:
        restore()
    if json_report:
        emit_json(report)
    else:
        typer.echo(
            f"worker {loop.worker_id}: {report.passes} pass(es), {report.tasks_run} task(s) run, "
            f"scheduled: {', '.join(report.scheduled) or 'nothing due'}"
        )
        for failure in report.tasks_failed:
            typer.echo(f"failed: {failure}", err=True)
    if once and report.tasks_failed:  # a long-running worker stopped by SIGTERM exits 0 (systemd: a clean stop)
        raise typer.Exit(1)  # each failure is recorded with its traceback in the task table

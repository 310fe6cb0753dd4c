"""tasks of the metrics app (private)."""

from __future__ import annotations

from django_tasks import task

from mechanisms.kernel.actor import Actor as _Actor

# --- third part: the weekly snapshot of every deck (daily; idempotent per deck and week) ---------------------


@task()
def take_snapshots() -> dict[str, int]:
    from . import services

    return {"taken": services.take_due_snapshots(actor=_Actor.system("worker"))}

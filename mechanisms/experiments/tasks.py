"""The worker's jobs of the experiments app (analysis part)."""

from __future__ import annotations

from django_tasks import task

from mechanisms.kernel.actor import Actor

from . import services


@task()
def analyse_running() -> dict[str, int]:
    """Analyse every running experiment once a day, as the product (services.analyse_running_experiments)."""
    return services.analyse_running_experiments(actor=Actor.system("worker"))

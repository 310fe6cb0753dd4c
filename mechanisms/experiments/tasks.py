"""The worker's jobs of the experiments app (registered in ExperimentsConfig.ready(), run by `mech worker`;
docs/worker.md).

`stop_due_experiments` runs every STOP_RULE_EVERY and stops each running experiment whose stop rule is met (the
planned sample size reached, the planned end date passed), as the product (services.stop_due_experiments)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from mechanisms.kernel.actor import Actor

from . import services

# --- second part: the stop rule ---------------------------------------------------------------------------------

STOP_RULE_EVERY = dt.timedelta(hours=1)


@task()
def stop_due_experiments() -> dict[str, int]:
    """Stop the running experiments whose stop rule is met; how many it stopped."""
    return {"stopped": len(services.stop_due_experiments(actor=Actor.system("worker")))}

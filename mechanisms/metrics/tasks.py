"""tasks of the metrics app (private)."""

from __future__ import annotations

# --- fourth part: goals ----------------------------------------------------------------------------------------
from django_tasks import task  # noqa: E402

from mechanisms.kernel.actor import Actor  # noqa: E402


@task()
def close_due_goals() -> dict[str, int]:
    """Close each approved goal past its due date as achieved or missed, as its data says (metrics.services)."""
    from . import services

    return {"closed": len(services.close_due_goals(actor=Actor.system("worker")))}

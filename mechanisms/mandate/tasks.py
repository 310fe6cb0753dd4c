"""Scheduled job of the mandate app (registered in MandateConfig.ready, run by `mech worker`): expired waivers stop
counting in the stored findings. The re-evaluation after a change is a task too, through kernel.events."""

from __future__ import annotations

from django_tasks import task

from mechanisms.kernel.actor import Actor

from . import services


@task()
def expire_waivers() -> dict[str, int]:
    return {"expired": services.reevaluate_expired_waivers(actor=Actor.system("worker"))}

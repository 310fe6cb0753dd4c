"""Scheduled job of the documents app (registered in DocumentsConfig.ready, run by `mech worker`): closing the
reading sessions whose time-box is over, so their comments are revealed even when the presenter forgets."""

from __future__ import annotations

from django_tasks import task

from mechanisms.kernel.actor import Actor

from . import services


@task()
def close_expired_sessions() -> dict[str, int]:
    return {"closed": services.close_expired_sessions(actor=Actor.system("worker"))}

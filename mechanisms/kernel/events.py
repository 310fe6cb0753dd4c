"""Change notices between apps that may not import each other: "these teams' facts changed".

A lower app (org, catalog) says what it changed; a higher app (mandate) subscribes in its AppConfig.ready and
re-evaluates what the change affects (issue 3, item 8: incremental). The notice is delivered once per
transaction, after it commits, with every team named in it; a rolled-back write tells no one; a subscriber's
failure is logged and never fails the write that caused it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from django.db import connection, transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[frozenset[int] | None], None]
_subscribers: list[Subscriber] = []
_local = threading.local()


def subscribe(callback: Subscriber) -> None:
    """Call `callback(team_ids)` after each committed change; `None` means "everything may have changed"."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def teams_changed(team_ids: Iterable[int] | None) -> None:
    """Record that the facts of these teams changed (None: of the whole organization, e.g. an import)."""
    if not _subscribers:
        return
    pending = getattr(_local, "pending", None)
    if pending is not None and not _flush_registered():
        pending = None  # the transaction that registered the flush rolled back
    fresh = pending is None
    if fresh:
        _local.pending = pending = {"all": False, "teams": set()}
    if team_ids is None:
        pending["all"] = True
    else:
        pending["teams"].update(int(t) for t in team_ids if t is not None)
    if fresh:  # outside a transaction this runs the flush at once, so it comes after the teams are recorded
        transaction.on_commit(_flush, robust=True)


def _flush_registered() -> bool:
    # Django keeps the callbacks of the open transaction on the connection; after a rollback ours is gone.
    return any(callback is _flush for _, callback, _ in getattr(connection, "run_on_commit", ()))


def _flush() -> None:
    pending = getattr(_local, "pending", None)
    _local.pending = None
    if not pending or (not pending["all"] and not pending["teams"]):
        return
    teams = None if pending["all"] else frozenset(pending["teams"])
    for callback in list(_subscribers):
        try:
            callback(teams)
        except Exception:  # a re-evaluation must never fail the write that caused it
            logger.exception("change subscriber %r failed", callback)

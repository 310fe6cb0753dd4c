"""Private: sending the outbox. Email through Django's mail framework, chat as Slack-compatible JSON posted to a
webhook with urllib (timeout 5 s, no redirects followed).

A sender first *claims* a delivery with one compare-and-set UPDATE on its version (attempts + 1, next attempt
pushed past a lease), so of two senders only one sends; then it records the outcome: sent, or the error with the
next attempt after an exponential backoff, or failed after ``MAX_ATTEMPTS``. Nothing here raises into a caller:
every error is recorded on the row and logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connections
from django.db.models import F

from mechanisms.kernel import clock

from .contracts import MAX_ATTEMPTS, Channel, DeliveryReport, DeliveryStatus
from .models import Delivery

logger = logging.getLogger("mechanisms.notifications")

WEBHOOK_TIMEOUT_SECONDS = 5
# A claimed delivery whose sender died (a killed worker) becomes due again after this long.
LEASE = dt.timedelta(minutes=5)
# One run over the outbox sends at most this many; the next run (the worker, every minute) takes the rest.
BATCH = 1000


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the `attempts`-th failure: base, 2x base, 4x base, ... (base 60 s by default)."""
    base = int(getattr(settings, "NOTIFICATIONS_RETRY_SECONDS", 60))
    return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


# ---------------------------------------------------------------------------------------------- after commit


def dispatch_after_commit(ids: list[int]) -> None:
    """Called by ``transaction.on_commit``: send these deliveries without blocking or failing the request.

    ``NOTIFICATIONS_DISPATCH``: "thread" (default) sends from a daemon thread; "task" queues them for the worker,
    which sends them within its interval (no threads in the web process); "inline" sends right here (tests,
    scripts); "off" leaves them to the worker's minutely run over the outbox (``mech worker``)."""
    mode = getattr(settings, "NOTIFICATIONS_DISPATCH", "thread")
    try:
        if mode == "inline":
            dispatch(ids)
        elif mode == "thread":
            threading.Thread(target=_dispatch_in_thread, args=(list(ids),), name="notify", daemon=True).start()
        elif mode == "task":
            from .tasks import send_deliveries

            send_deliveries.enqueue(ids=[int(i) for i in ids])
    except Exception:  # the caller's change is committed; the outbox keeps the deliveries for the next run
        logger.exception("notifications: dispatch of %s failed; left in the outbox", ids)


def _dispatch_in_thread(ids: list[int]) -> None:
    try:
        dispatch(ids)
    except Exception:
        logger.exception("notifications: dispatch of %s failed; left in the outbox", ids)
    finally:
        connections.close_all()  # this thread's own connections


# ---------------------------------------------------------------------------------------------- the outbox


def dispatch(ids: Iterable[int], *, now: dt.datetime | None = None) -> DeliveryReport:
    """Send the deliveries among `ids` that are due, each at most once."""
    now = now or clock.now()
    rows = list(
        Delivery.objects.filter(pk__in=list(ids), status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by(
            "id"
        )
    )
    return _send_all(rows, now)


def deliver_due(*, now: dt.datetime) -> DeliveryReport:
    """Send every due delivery (the oldest first, at most BATCH): new ones and retries whose backoff has passed."""
    rows = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )[:BATCH]
    )
    return _send_all(rows, now)


def _send_all(rows: list[Delivery], now: dt.datetime) -> DeliveryReport:
    sent = retrying = failed = 0
    for row in rows:
        outcome = _attempt(row, now)
        if outcome is None:
            continue
        if outcome == DeliveryStatus.SENT:
            sent += 1
        elif outcome == DeliveryStatus.FAILED:
            failed += 1
        else:
            retrying += 1
    return DeliveryReport(attempted=sent + retrying + failed, sent=sent, retrying=retrying, failed=failed)


def _attempt(row: Delivery, now: dt.datetime) -> DeliveryStatus | None:
    """Claim, send, record. None when another sender claimed it first."""
    claimed = Delivery.objects.filter(
        pk=row.pk, version=row.version, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(
        version=F("version") + 1,
        attempts=F("attempts") + 1,
        next_attempt_at=now + LEASE,
        updated_at=clock.now(),
    )
    if not claimed:
        return None
    attempts = row.attempts + 1
    try:
        _send(row)
    except Exception as exc:  # any failure of the transport is recorded; nothing reaches the caller
        error = _describe(exc)
        if attempts >= MAX_ATTEMPTS:
            status, next_at = DeliveryStatus.FAILED, None
            logger.warning("notifications: delivery %s failed for good after %s attempts: %s", row.pk, attempts, error)
        else:
            status, next_at = DeliveryStatus.PENDING, now + retry_delay(attempts)
            logger.info(
                "notifications: delivery %s attempt %s failed (%s); retry at %s", row.pk, attempts, error, next_at
            )
        Delivery.objects.filter(pk=row.pk).update(
            status=status,
            last_error=error[:500],
            next_attempt_at=next_at,
            version=F("version") + 1,
            updated_at=clock.now(),
        )
        return status
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENT,
        sent_at=clock.now(),
        next_attempt_at=None,
        last_error="",
        version=F("version") + 1,
        updated_at=clock.now(),
    )
    return DeliveryStatus.SENT


def _send(row: Delivery) -> None:
    if row.channel == Channel.EMAIL:
        send_email(row)
    elif row.channel == Channel.CHAT:
        post_webhook(row.target, chat_payload(row))
    else:
        raise ValueError(f"unknown channel {row.channel!r}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot reach the webhook: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------------- email


def send_email(row: Delivery) -> None:
    base = settings.MECH_BASE_URL.rstrip("/")
    lines = [row.title, ""]
    if row.body:
        lines += [row.body, ""]
    if row.link:
        lines += [f"Open: {row.link}", ""]
    lines += ["--", f"Your inbox: {base}/inbox", f"Change what you receive: {base}/inbox/preferences"]
    message = EmailMessage(
        subject=f"[Mechanisms] {row.title}",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.target],
        headers={"X-Mechanisms-Kind": row.kind},
    )
    message.send(fail_silently=False)


# ---------------------------------------------------------------------------------------------- chat webhook


def _mrkdwn(text: str) -> str:
    """Slack's mrkdwn escapes exactly these three; everything else is literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_payload(row: Delivery) -> dict:
    """Slack-compatible JSON: `text` (the fallback every client shows) and `blocks` (a section with the linked
    title and the body, and a context line with the kind and who it is for)."""
    title = _mrkdwn(row.title)
    headline = f"*<{row.link}|{title}>*" if row.link else f"*{title}*"
    body = _mrkdwn(row.body[:2500]) if row.body else ""
    for_whom = ", ".join(f"@{h}" for h in row.mentions)
    text = row.title + (f" {row.link}" if row.link else "") + (f" (for {for_whom})" if for_whom else "")
    context = f"`{row.kind}`" + (f" · for {_mrkdwn(for_whom)}" if for_whom else "")
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline + (f"\n{body}" if body else "")}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured; following it would turn the POST into a GET elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post_webhook(url: str, payload: dict) -> None:
    """POST JSON; any answer but 2xx, a timeout or a refused connection raises."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("a webhook URL must be http or https")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "Mechanisms-notifications"},
        method="POST",
    )
    with _opener.open(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, response.reason, response.headers, None)


def redact_url(url: str) -> str:
    """A webhook URL as it may be shown: Slack's path is the secret, so only scheme and host remain."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.hostname}{port}/…"

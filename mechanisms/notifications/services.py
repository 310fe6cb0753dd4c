"""Public services of the notifications app: the only way to notify people, read an inbox, change preferences
and work the outbox of emails and chat-webhook posts.

Other apps call ``notify`` inside the transaction of their change (DESIGN.md §4): the inbox items are written in
that transaction, so they vanish with it on a rollback; the email and chat deliveries are queued in the same
transaction and sent only after it commits, from a thread, never blocking or failing the change; a failed send is
retried with an exponential backoff (``deliver_pending``, run by ``mech inbox deliver`` from cron) and given up
after five attempts.

Who may see what: an inbox is its owner's alone, administrators included (``InboxItem.objects.visible_to`` is the
one chokepoint); preferences are read and changed by their owner or an administrator; the outbox is for
administrators.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.org import services as org_services

from . import delivery
from .contracts import (
    KIND_RE,
    MAX_KIND_LENGTH,
    MAX_MUTES,
    MUTE_RE,
    Channel,
    Delivery,
    DeliveryId,
    DeliveryReport,
    DeliveryStatus,
    InboxItem,
    InboxItemId,
    Preferences,
)
from .models import Delivery as DeliveryRow
from .models import InboxItem as InboxItemRow
from .models import Preference as PreferenceRow

PREFERENCES_SUBJECT = "notification_preferences"
OUTBOX_SUBJECT = "notification_outbox"
TITLE_MAX = 200
BODY_MAX = 10_000
URL_MAX = 500
# mark_read takes at most this many ids at once (a page of the inbox is at most 200).
MARK_READ_MAX = 1000


# ---------------------------------------------------------------------------------------------- kinds

_DECLARED_KINDS: set[str] = set()


def declare_kinds(*, kinds: Iterable[str]) -> None:
    """Say which kinds an app sends (each app's services, at import), so the help of the preferences names kinds
    that exist. Raises RuleViolation for a malformed kind."""
    for kind in kinds:
        _DECLARED_KINDS.add(_clean_kind(kind))


def known_kinds() -> tuple[str, ...]:
    """Every kind some app sends, sorted: what a person may mute (or mute under a prefix)."""
    # Each app declares its kinds when its services are imported: import them all, as Django's admin discovers.
    autodiscover_modules("services", "lifecycle")
    return tuple(sorted(_DECLARED_KINDS))


# ---------------------------------------------------------------------------------------------- notify


def notify(
    *,
    actor: Actor,
    recipients: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    subject_type: str = "",
    subject_id: int | None = None,
) -> int:
    """Tell people that something happened; returns the number of inbox items created.

    Call it inside the transaction of the change (DESIGN.md §4): the inbox items land or vanish with it. The
    emails and chat posts each person's preferences ask for are queued in the outbox in the same transaction and
    sent after the commit (``transaction.on_commit``), from a thread, so they never block or fail the change.

    Rules: the actor's own person is never notified of their own action; unknown and inactive people are skipped;
    a person listed twice hears once; a kind the person muted on a channel is not sent there. ``url`` is a path in
    the product ("/away/requests/7"); email and chat carry it as an absolute link under ``MECH_BASE_URL``.
    Not audited: the caller's own change record covers the write.

    Raises RuleViolation for a malformed kind, an empty title or a url that is not a path (a caller's bug).
    """
    kind = _clean_kind(kind)
    title = _clean_text(title, "title", TITLE_MAX, required=True)
    body = _clean_text(body, "body", BODY_MAX)
    url = _clean_path(url)
    subject_type = _clean_text(subject_type, "subject_type", 64)
    wanted = {int(r) for r in recipients if r is not None}
    wanted.discard(actor.person_id)  # nobody is notified of their own action
    if not wanted:
        return 0
    people = sorted((p for p in org_services.get_people(ids=wanted).values() if p.active), key=lambda p: p.id)
    if not people:
        return 0
    preferences = _preferences_of([p.id for p in people])
    now = clock.now()

    items = [
        InboxItemRow(
            person_id=p.id,
            kind=kind,
            title=title,
            body=body,
            url=url,
            subject_type=subject_type,
            subject_id=subject_id,
            actor_label=actor.label[:200],
            actor_person_id=actor.person_id,
            created_at=now,
        )
        for p in people
        if preferences[p.id].wants(Channel.INBOX, kind)
    ]
    InboxItemRow.objects.bulk_create(items)

    link = settings.MECH_BASE_URL.rstrip("/") + url if url else ""
    content = {"kind": kind, "title": title, "body": body, "link": link, "next_attempt_at": now}
    outbox: list[DeliveryRow] = []
    org_webhook = getattr(settings, "MECH_CHAT_WEBHOOK_URL", "")
    org_mentions: list[str] = []
    for person in people:
        pref = preferences[person.id]
        if pref.email and person.email and pref.wants(Channel.EMAIL, kind):
            outbox.append(DeliveryRow(person_id=person.id, channel=Channel.EMAIL, target=person.email, **content))
        if pref.chat and pref.wants(Channel.CHAT, kind):
            if pref.webhook_url:
                outbox.append(
                    DeliveryRow(person_id=person.id, channel=Channel.CHAT, target=pref.webhook_url, **content)
                )
            elif org_webhook:
                org_mentions.append(person.handle)
    if org_mentions:  # one post to the organization's channel, naming everyone it is for
        outbox.append(
            DeliveryRow(person_id=None, channel=Channel.CHAT, target=org_webhook, mentions=org_mentions, **content)
        )
    for row in outbox:
        row.save()
    if outbox:
        ids = [row.pk for row in outbox]
        transaction.on_commit(functools.partial(delivery.dispatch_after_commit, ids), robust=True)
    return len(items)


# ---------------------------------------------------------------------------------------------- the inbox


def list_inbox(
    *, actor: Actor, unread_only: bool = False, limit: int | None = 50, offset: int | None = 0
) -> Page[InboxItem]:
    """The actor's own inbox, newest first (unread only when asked). Paginated. Empty for an actor without a
    person (an administrator account, the system)."""
    qs = InboxItemRow.objects.visible_to(actor)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return paginate(qs.order_by("-id"), limit=limit, offset=offset, convert=_to_inbox_item)


def unread_count(*, actor: Actor) -> int:
    """How many of the actor's inbox items are unread: one COUNT (the badge on every page)."""
    if actor.person_id is None:
        return 0  # no query at all for an account without a person
    return InboxItemRow.objects.visible_to(actor).filter(read_at__isnull=True).count()


def mark_read(*, actor: Actor, item_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own items read (all of them when `item_ids` is None); returns how many were unread.

    Reading is a personal state of the inbox, not a change to the organization: not audited.
    Raises NotFound (field ``ids``) naming an id that is not in the actor's inbox; then nothing is marked."""
    qs = InboxItemRow.objects.visible_to(actor)
    now = clock.now()
    if item_ids is None:
        return qs.filter(read_at__isnull=True).update(read_at=now)
    ids = {int(i) for i in item_ids}
    if len(ids) > MARK_READ_MAX:
        raise RuleViolation(f"mark at most {MARK_READ_MAX} items at once", field="ids")
    if not ids:
        return 0
    with transaction.atomic():
        found = set(qs.filter(pk__in=ids).values_list("pk", flat=True))
        missing = sorted(ids - found)
        if missing:
            raise NotFound(f"inbox item {missing[0]} is not in your inbox", field="ids", details={"ids": missing})
        return qs.filter(pk__in=ids, read_at__isnull=True).update(read_at=now)


# ---------------------------------------------------------------------------------------------- preferences


def get_preferences(*, actor: Actor, person_id: int | None = None) -> Preferences:
    """A person's notification preferences (the actor's own when `person_id` is None); the defaults when they
    never saved any. Raises PermissionDenied for someone else's unless admin, NotFound for an unknown person."""
    person_id = _preferences_person(actor, person_id)
    org_services.get_person(person_id=person_id)
    row = PreferenceRow.objects.filter(person_id=person_id).first()
    return _to_preferences(row) if row else _default_preferences(person_id)


def update_preferences(
    *,
    actor: Actor,
    person_id: int | None = None,
    version: int,
    email: bool | None = None,
    chat: bool | None = None,
    webhook_url: str | None = None,
    muted_kinds: Iterable[str] | None = None,
) -> Preferences:
    """Change a person's notification preferences; arguments left None stay as they are. Audited.

    Rules: a person changes only their own, an administrator anyone's (PermissionDenied); `version` is the one
    read, a stale one is a Conflict; a webhook URL is http(s) with a host; a mute is a kind, `prefix.*` or `*`,
    optionally on one channel (`email:away_request.file`), at most 50; chat needs a webhook: the person's own or
    the organization's (``MECH_CHAT_WEBHOOK_URL``). Raises RuleViolation naming the field, NotFound."""
    person_id = _preferences_person(actor, person_id)
    person = org_services.get_person(person_id=person_id)
    changes: dict[str, Any] = {}
    if email is not None:
        changes["email"] = bool(email)
    if chat is not None:
        changes["chat"] = bool(chat)
    if webhook_url is not None:
        changes["webhook_url"] = _clean_webhook(webhook_url)
    if muted_kinds is not None:
        changes["muted_kinds"] = _clean_mutes(muted_kinds)
    with transaction.atomic():
        row, _ = PreferenceRow.objects.get_or_create(person_id=person_id)
        before = _to_preferences(row)
        chat_on = changes.get("chat", row.chat)
        own_hook = changes.get("webhook_url", row.webhook_url)
        touched = "chat" in changes or "webhook_url" in changes
        if touched and chat_on and not own_hook and not getattr(settings, "MECH_CHAT_WEBHOOK_URL", ""):
            raise RuleViolation(
                "chat needs a webhook URL: the organization has no chat webhook, so give your own",
                field="webhook_url",
            )
        row = update_versioned(row, expected_version=version, changes=changes)
        after = _to_preferences(row)
        audit_services.record_change(
            actor=actor,
            verb="update",
            subject_type=PREFERENCES_SUBJECT,
            subject_id=person_id,
            subject_label=person.handle,
            before=_audit_state(before),
            after=_audit_state(after),
        )
    return after


# ---------------------------------------------------------------------------------------------- the outbox


def list_deliveries(
    *, actor: Actor, status: str | None = None, limit: int | None = 50, offset: int | None = 0
) -> Page[Delivery]:
    """The outbox, newest first, optionally by status (pending, sent, failed). Administrators only."""
    _require_admin(actor, "read the notification outbox")
    qs = DeliveryRow.objects.all().order_by("-id")
    if status is not None:
        if status not in {s.value for s in DeliveryStatus}:
            raise RuleViolation(f"status must be one of {', '.join(s.value for s in DeliveryStatus)}", field="status")
        qs = qs.filter(status=status)
    return paginate(qs, limit=limit, offset=offset, convert=_to_delivery)


def deliver_pending(*, actor: Actor, now: dt.datetime | None = None) -> DeliveryReport:
    """Send every due delivery: new ones a dispatcher missed (the server stopped) and retries whose backoff has
    passed. Each is sent at most once even when two runs overlap; a failure waits 1, 2, 4, 8 minutes (base
    ``NOTIFICATIONS_RETRY_SECONDS``) and the fifth failure marks it failed. Administrators only (cron runs it as
    the system); a run that attempted anything is audited."""
    _require_admin(actor, "work the notification outbox")
    report = delivery.deliver_due(now=now or clock.now())
    if report.attempted:
        audit_services.record_change(
            actor=actor,
            verb="deliver",
            subject_type=OUTBOX_SUBJECT,
            subject_id="outbox",
            subject_label="notification outbox",
            after={
                "attempted": report.attempted,
                "sent": report.sent,
                "retrying": report.retrying,
                "failed": report.failed,
            },
        )
    return report


# ---------------------------------------------------------------------------------------------- private helpers


def _require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"only an admin may {what}")


def _preferences_person(actor: Actor, person_id: int | None) -> int:
    """Whose preferences: one's own, or anyone's for an administrator."""
    if person_id is None:
        if actor.person_id is None:
            if not actor.is_authenticated:
                raise PermissionDenied("sign in first")
            raise RuleViolation("your account is not linked to a person; name the person", field="person_id")
        return actor.person_id
    if person_id != actor.person_id and not actor.is_admin:
        raise PermissionDenied("only an admin may read or change another person's preferences", field="person_id")
    return person_id


def _preferences_of(person_ids: list[int]) -> dict[int, Preferences]:
    saved = {r.person_id: _to_preferences(r) for r in PreferenceRow.objects.filter(person_id__in=person_ids)}
    return {pid: saved.get(pid) or _default_preferences(pid) for pid in person_ids}


def _default_preferences(person_id: int) -> Preferences:
    return Preferences(
        person_id=person_id, email=True, chat=False, webhook_url="", muted_kinds=(), version=1, updated_at=None
    )


def _clean_kind(kind: Any) -> str:
    if not isinstance(kind, str) or len(kind) > MAX_KIND_LENGTH or not KIND_RE.match(kind):
        raise RuleViolation(
            f"a kind is lowercase words joined by dots, at most {MAX_KIND_LENGTH} characters, e.g. away_request.file",
            field="kind",
        )
    return kind


def _clean_text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    text = str(value or "").replace("\x00", "").strip()  # PostgreSQL cannot store NUL
    if required and not text:
        raise RuleViolation(f"{field} is required", field=field)
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def _clean_path(url: Any) -> str:
    url = str(url or "").strip()
    if not url:
        return ""
    if not url.startswith("/") or url.startswith("//") or len(url) > URL_MAX or any(c.isspace() for c in url):
        raise RuleViolation("url must be a path in the product, e.g. /away/requests/7", field="url")
    return url


def _clean_webhook(url: Any) -> str:
    url = str(url or "").strip()
    if not url:
        return ""
    problem = "a webhook URL is an http:// or https:// address with a host, at most 500 characters"
    if len(url) > 500 or any(c.isspace() or ord(c) < 32 for c in url):
        raise RuleViolation(problem, field="webhook_url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise RuleViolation(problem, field="webhook_url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuleViolation(problem, field="webhook_url")
    # The server posts to this address for whoever set it: only chat services the administrator allows, so a
    # person cannot point the server at an address inside its own network.
    allowed = {h.lower() for h in settings.MECH_CHAT_WEBHOOK_HOSTS}
    if parts.hostname.lower() not in allowed:
        raise RuleViolation(
            f"webhooks may only go to {', '.join(sorted(allowed)) or 'no host (ask an administrator)'}",
            field="webhook_url",
        )
    return url


def _clean_mutes(values: Iterable[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    cleaned: list[str] = []
    for value in values:
        mute = str(value or "").strip().lower()
        if not mute:
            continue
        if len(mute) > 100 or not MUTE_RE.match(mute):
            raise RuleViolation(
                f"{value!r} is not a kind to mute: a kind (away_request.file), a prefix (away_request.*) or *, "
                "optionally after a channel (email:, chat:, inbox:)",
                field="muted_kinds",
            )
        if mute not in cleaned:
            cleaned.append(mute)
    if len(cleaned) > MAX_MUTES:
        raise RuleViolation(f"mute at most {MAX_MUTES} kinds", field="muted_kinds")
    return cleaned


def _audit_state(preferences: Preferences) -> dict[str, Any]:
    """What the change log keeps: the webhook's secret path is not written down, only its host."""
    return {
        "email": preferences.email,
        "chat": preferences.chat,
        "webhook_url": delivery.redact_url(preferences.webhook_url),
        "muted_kinds": list(preferences.muted_kinds),
        "version": preferences.version,
    }


def _to_inbox_item(row: InboxItemRow) -> InboxItem:
    return InboxItem(
        id=InboxItemId(row.id),
        person_id=row.person_id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        url=row.url,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        actor_label=row.actor_label,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _to_preferences(row: PreferenceRow) -> Preferences:
    return Preferences(
        person_id=row.person_id,
        email=row.email,
        chat=row.chat,
        webhook_url=row.webhook_url,
        muted_kinds=tuple(row.muted_kinds or ()),
        version=row.version,
        updated_at=row.updated_at,
    )


def _to_delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=DeliveryId(row.id),
        person_id=row.person_id,
        channel=Channel(row.channel),
        kind=row.kind,
        title=row.title,
        target=delivery.redact_url(row.target) if row.channel == Channel.CHAT else row.target,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        created_at=row.created_at,
    )

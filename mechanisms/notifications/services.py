"""Public services of the notifications app: the only way to notify people, read an inbox, change preferences
and work the outbox of emails and chat-webhook posts.

Other apps call ``notify`` inside the transaction of their change (DESIGN.md §4): the inbox items are written in
that transaction, so they vanish with it on a rollback; the email and chat deliveries are queued in the same
transaction and sent only after it commits, from a thread, never blocking or failing the change; a failed send is
retried with an exponential backoff (``deliver_pending``, run by the worker's schedule) and given up
after five attempts.

Who may see what (``notifications.policy``, the one place that decides): an inbox is its owner's alone,
administrators included; preferences are read and changed by their owner or an administrator; the outbox is for
administrators.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.utils.module_loading import autodiscover_modules

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import NotFound, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.org import services as org_services

from . import delivery
from . import policy as _policy
from .contracts import (
    KIND_RE,
    MAX_KIND_LENGTH,
    MAX_MUTES,
    MUTE_RE,
    Channel,
    Deadline,
    DeadlineId,
    DeadlineReport,
    Delivery,
    DeliveryId,
    DeliveryReport,
    DeliveryStatus,
    InboxItem,
    InboxItemId,
    Preferences,
)
from .models import Deadline as DeadlineRow
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
# subject type -> which of these subject ids still owe what their deadline tracks (the owning app's answer)
_DEADLINE_CHECKS: dict[str, Callable[[set[int]], set[int]]] = {}


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
    people = sorted(
        (p for p in org_services.get_people(actor=actor, ids=wanted).values() if p.active), key=lambda p: p.id
    )
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
    DeliveryRow.objects.bulk_create(outbox)  # one statement for everyone (the ids come back on SQLite and PG)
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
    qs = _policy.visible_to(actor, InboxItemRow.objects.all())
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return paginate(qs.order_by("-id"), limit=limit, offset=offset, convert=_to_inbox_item)


def unread_count(*, actor: Actor) -> int:
    """How many of the actor's inbox items are unread: one COUNT (the badge on every page)."""
    if actor.person_id is None:
        return 0  # no query at all for an account without a person
    return _policy.visible_to(actor, InboxItemRow.objects.all()).filter(read_at__isnull=True).count()


def mark_read(*, actor: Actor, item_ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own items read (all of them when `item_ids` is None); returns how many were unread.

    Reading is a personal state of the inbox, not a change to the organization: not audited.
    Raises NotFound (field ``ids``) naming an id that is not in the actor's inbox; then nothing is marked."""
    qs = _policy.visible_to(actor, InboxItemRow.objects.all())
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
    org_services.get_person(actor=actor, person_id=person_id)
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
    person = org_services.get_person(actor=actor, person_id=person_id)
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
    ``NOTIFICATIONS_RETRY_SECONDS``) and the fifth failure marks it failed. Administrators only (the worker runs it
    as the system); a run that attempted anything is audited."""
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


# ---------------------------------------------------------------------------------------------- deadlines


def track_deadline(
    *,
    actor: Actor,
    subject_type: str,
    subject_id: int,
    due_at: dt.datetime,
    owner_ids: Iterable[int],
    title: str,
    kind: str,
    url: str = "",
    remind_every: dt.timedelta = dt.timedelta(days=1),
    escalate_after: dt.timedelta | None = None,
    escalate_from_id: int | None = None,
    fresh: bool = False,
) -> Deadline:
    """Track a due date on a record of the calling app (DESIGN.md §3, the deadlines helper every mechanism uses):
    once ``due_at`` has passed, ``run_deadlines`` reminds ``owner_ids`` at most once per ``remind_every``, and
    after each ``escalate_after`` tells the next manager up the management chain of ``escalate_from_id`` (the
    owners' leader), nearest first, until it is cleared.

    One deadline per subject: tracking it again updates it (a re-routed request has new owners); a new due date,
    or tracking a cleared one, starts its reminders and escalations over. Call it inside the caller's
    transaction, which has authorized the change and records its audit entry (so this write is not audited
    separately). ``fresh``: the subject was created in this transaction, so it has no deadline yet (one insert, no
    lookup). Raises RuleViolation for a malformed kind, an empty title, a url that is not a path, or periods
    shorter than a minute (a caller's bug)."""
    kind = _clean_kind(kind)
    title = _clean_text(title, "title", TITLE_MAX, required=True)
    url = _clean_path(url)
    subject_type = _clean_text(subject_type, "subject_type", 64, required=True)
    if remind_every < dt.timedelta(minutes=1):
        raise RuleViolation("reminders are at most one a minute", field="remind_every")
    if escalate_after is not None and escalate_after < dt.timedelta(minutes=1):
        raise RuleViolation("escalations are at most one a minute", field="escalate_after")
    values = {
        "kind": kind,
        "title": title,
        "url": url,
        "owner_ids": sorted({int(o) for o in owner_ids if o is not None}),
        "escalate_from_id": escalate_from_id,
        "remind_every": remind_every,
        "escalate_after": escalate_after,
    }
    with transaction.atomic(savepoint=False):  # part of the caller's write: no savepoint round trips
        existing = DeadlineRow.objects.select_for_update().filter(subject_type=subject_type, subject_id=subject_id)
        row = None if fresh else existing.first()
        if row is None:
            row = DeadlineRow.objects.create(subject_type=subject_type, subject_id=subject_id, due_at=due_at, **values)
            return _to_deadline(row)
        if row.due_at != due_at or row.cleared_at is not None:
            values.update(due_at=due_at, cleared_at=None, reminders_sent=0, escalation_level=0)
        if any(getattr(row, k) != v for k, v in values.items()):
            update_versioned(row, expected_version=row.version, changes=values)
    return _to_deadline(row)


def register_deadline_check(*, subject_type: str, still_due: Callable[[set[int]], set[int]]) -> None:
    """Let the owning app say which of its tracked records still owe what their deadline waits for (called from its
    AppConfig.ready). ``run_deadlines`` asks before it reminds anyone and clears the others, so an app need not
    clear a deadline in every write that settles it (an answered request is never reminded)."""
    _DEADLINE_CHECKS[subject_type] = still_due


def clear_deadline(*, actor: Actor, subject_type: str, subject_id: int) -> bool:
    """End the deadline on a record (the answer came); returns whether an open one was cleared. Call it inside
    the caller's transaction (its change record covers this write). Clearing nothing is not an error."""
    now = clock.now()
    return bool(
        DeadlineRow.objects.filter(subject_type=subject_type, subject_id=subject_id, cleared_at__isnull=True).update(
            cleared_at=now, version=models.F("version") + 1, updated_at=now
        )
    )


def find_deadline(*, actor: Actor, subject_type: str, subject_id: int) -> Deadline | None:
    """The deadline on a record, open or cleared, or None. The caller decides who may see its record; a
    deadline says only when the answer is due and how far reminders went."""
    org_services.require_signed_in(actor)
    row = DeadlineRow.objects.filter(subject_type=subject_type, subject_id=subject_id).first()
    return _to_deadline(row) if row is not None else None


def tracked_subjects(*, actor: Actor, subject_type: str, subject_ids: Iterable[int]) -> set[int]:
    """Which of these records have a deadline, open or cleared (one query; for a caller's backfill). Says only
    whether, never what: any signed-in caller."""
    org_services.require_signed_in(actor)
    ids = {int(i) for i in subject_ids}
    if not ids:
        return set()
    return set(
        DeadlineRow.objects.filter(subject_type=subject_type, subject_id__in=ids).values_list("subject_id", flat=True)
    )


def run_deadlines(*, actor: Actor, now: dt.datetime | None = None, subject_type: str | None = None) -> DeadlineReport:
    """Remind and escalate every open deadline that is past due (run by the worker's schedule, every few minutes).

    Rules (DESIGN.md §3): the owners hear at most once per ``remind_every`` period counted from the due time; after
    each ``escalate_after`` the next manager up the chain hears of it, one level per period, nearest first; a
    period already handled sends nothing, even when two workers run at once (compare-and-set on the version). Each
    reminder and escalation is audited on the tracked record (``DEADLINE_VERBS``: ``remind``, ``escalate_overdue``;
    the subject type registers them with the audit app).
    ``subject_type`` limits the run to one app's deadlines. Administrators or the product itself."""
    _require_admin(actor, "run the deadlines")
    now = now or clock.now()
    qs = DeadlineRow.objects.filter(cleared_at__isnull=True, due_at__lte=now)
    if subject_type is not None:
        qs = qs.filter(subject_type=subject_type)
    reminded = escalated = 0
    rows = list(qs.order_by("due_at", "id"))
    settled: set[int] = set()
    for kind_of_subject, check in _DEADLINE_CHECKS.items():
        ids = {r.subject_id for r in rows if r.subject_type == kind_of_subject}
        if ids:
            done = ids - set(check(ids))
            settled |= {r.pk for r in rows if r.subject_type == kind_of_subject and r.subject_id in done}
    if settled:  # the owner says these no longer owe anything: their deadlines end, nobody is reminded
        DeadlineRow.objects.filter(pk__in=settled, cleared_at__isnull=True).update(
            cleared_at=now, version=models.F("version") + 1, updated_at=now
        )
    for row in rows:
        if row.pk in settled:
            continue
        late = now - row.due_at
        period = int(late // row.remind_every) + 1
        remind = row.reminders_sent < period
        level = row.escalation_level
        chain: list[int] = []
        if row.escalate_after is not None and row.escalate_from_id is not None:
            levels_due = int(late // row.escalate_after)
            if levels_due > level:
                above = [p.id for p in org_services.management_chain(actor=actor, person_id=row.escalate_from_id)]
                chain = above[level:levels_due]  # normally one manager: the next one up
                level = levels_due  # periods handled, also once the chain has run out (nobody left to tell)
        if not remind and level == row.escalation_level:
            continue
        with transaction.atomic():
            changes = {"reminders_sent": period if remind else row.reminders_sent, "escalation_level": level}
            claimed = DeadlineRow.objects.filter(pk=row.pk, version=row.version, cleared_at__isnull=True).update(
                **changes, version=row.version + 1, updated_at=now
            )
            if not claimed:
                continue  # cleared or handled by another run meanwhile
            since = row.due_at.isoformat()
            if remind:
                audit_services.record_change(
                    actor=actor,
                    verb="remind",
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                    subject_label=row.title,
                    after={"due_at": since, "reminder": period},
                )
                notify(
                    actor=actor,
                    recipients=row.owner_ids,
                    kind=row.kind,
                    title=f"Overdue: {row.title}"[:TITLE_MAX],
                    body=f"This was due at {since}.",
                    url=row.url,
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                )
                reminded += 1
            if chain:
                audit_services.record_change(
                    actor=actor,
                    verb="escalate_overdue",
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                    subject_label=row.title,
                    after={"due_at": since, "escalated_to": chain, "level": level},
                )
                notify(
                    actor=actor,
                    recipients=chain,
                    kind=f"{row.kind}.escalated",
                    title=f"Escalated to you: {row.title}"[:TITLE_MAX],
                    body=f"This was due at {since} and is still open; you are next up the management chain.",
                    url=row.url,
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                )
                escalated += 1
    return DeadlineReport(reminded=reminded, escalated=escalated)


# ---------------------------------------------------------------------------------------------- private helpers


def _require_admin(actor: Actor, what: str) -> None:
    _policy.require(actor, "work_outbox", what=what)


def _preferences_person(actor: Actor, person_id: int | None) -> int:
    """Whose preferences: one's own, or anyone's for an administrator (notifications.policy)."""
    return _policy.preferences_person(actor, person_id)


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


def _to_deadline(row: DeadlineRow) -> Deadline:
    return Deadline(
        id=DeadlineId(row.id),
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        kind=row.kind,
        title=row.title,
        url=row.url,
        owner_ids=tuple(row.owner_ids),
        escalate_from_id=row.escalate_from_id,
        due_at=row.due_at,
        remind_every=row.remind_every,
        escalate_after=row.escalate_after,
        reminders_sent=row.reminders_sent,
        escalation_level=row.escalation_level,
        cleared_at=row.cleared_at,
        version=row.version,
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

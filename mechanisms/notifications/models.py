"""Private models of the notifications app: the inbox, the per-person preferences and the outbox.

People are referenced by plain id columns (DESIGN.md §3): org owns them, and ``notify`` resolves them through
``org.services.get_people``.
"""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class InboxItemQuerySet(models.QuerySet):
    def visible_to(self, actor) -> InboxItemQuerySet:
        """The inbox items `actor` may read, as notifications.policy decides (the one chokepoint)."""
        from .policy import visible_to

        return visible_to(actor, self)


class InboxItem(models.Model):
    """One notification in one person's in-app inbox: what happened (``kind``, ``title``, ``body``), who did it,
    the page to look at, and when the person read it. Written in the transaction of the change it reports."""

    person_id = models.BigIntegerField()
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    actor_person_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    objects = InboxItemQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The inbox page and the unread badge on every page: a person's items, unread ones first to count.
            models.Index(fields=["person_id", "read_at"], name="notif_inbox_person_read"),
            models.Index(fields=["person_id", "-id"], name="notif_inbox_person_newest"),
        ]


class Preference(VersionedModel):
    """How one person wants to hear about things: email on or off, chat on or off with an optional personal
    webhook, and the kinds they muted (on one channel or everywhere). No row means the defaults."""

    person_id = models.BigIntegerField(unique=True)
    email = models.BooleanField(default=True)
    chat = models.BooleanField(default=False)
    webhook_url = models.CharField(max_length=500, blank=True)
    muted_kinds = models.JSONField(default=list)


class Delivery(VersionedModel):
    """One email or chat-webhook post waiting in the outbox or done: its content as composed when the change was
    made, its target, and every attempt (count, last error, when to try next). ``version`` is the claim a sender
    takes before sending, so two senders (the request's dispatcher and the worker's job) never send it twice."""

    person_id = models.BigIntegerField(null=True, blank=True)  # None: the organization's chat channel
    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=700, blank=True)
    mentions = models.JSONField(default=list)  # handles the message is for, on the organization's channel
    target = models.CharField(max_length=500)  # an email address or a webhook URL
    status = models.CharField(max_length=16, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_delivery_due")]


class Deadline(VersionedModel):
    """A due date on another app's record (``subject_type``, ``subject_id``, plain ids: DESIGN.md §3), the people
    who owe the answer, and how far its reminders and escalations have gone. ``reminders_sent`` and
    ``escalation_level`` count the periods already handled, so a second run in the same period sends nothing;
    ``cleared_at`` ends it (the answer came)."""

    subject_type = models.CharField(max_length=64)
    subject_id = models.BigIntegerField()
    kind = models.CharField(max_length=64)  # the notification kind of its reminders ("away_request.overdue")
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=500, blank=True)
    owner_ids = models.JSONField(default=list)
    escalate_from_id = models.BigIntegerField(null=True, blank=True)  # whose management chain escalations climb
    due_at = models.DateTimeField()
    remind_every = models.DurationField()
    escalate_after = models.DurationField(null=True, blank=True)  # None: reminders only
    reminders_sent = models.PositiveIntegerField(default=0)
    escalation_level = models.PositiveIntegerField(default=0)  # managers notified so far, nearest first
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id"], name="notif_deadline_one_per_subject")
        ]
        indexes = [models.Index(fields=["cleared_at", "due_at"], name="notif_deadline_open_due")]

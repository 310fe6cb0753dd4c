"""Public contracts of the notifications app: frozen dataclasses, IDs and enums. No Django imports."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

InboxItemId = NewType("InboxItemId", int)
DeliveryId = NewType("DeliveryId", int)

# A kind names what happened, dotted from the general to the particular: "away_request.file".
KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")
# A mute names a kind, or every kind under a prefix ("away_request.*"), optionally on one channel only
# ("email:away_request.file"). Without a channel it mutes the kind everywhere, the inbox included.
MUTE_RE = re.compile(r"^(?:(?P<channel>inbox|email|chat):)?(?P<kind>[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*(?:\.\*)?|\*)$")
MAX_KIND_LENGTH = 64
MAX_MUTES = 50
# Attempts at one email or webhook post before the outbox gives up on it.
MAX_ATTEMPTS = 5


class Channel(StrEnum):
    """Where a notification reaches a person: the in-app inbox, email, or a chat webhook."""

    INBOX = "inbox"
    EMAIL = "email"
    CHAT = "chat"


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not sent yet, or failed and waiting for its next attempt
    SENT = "sent"
    FAILED = "failed"  # gave up after MAX_ATTEMPTS


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One notification in a person's inbox: what happened, who did it, and where to look."""

    id: InboxItemId
    person_id: int
    kind: str
    title: str
    body: str
    url: str
    subject_type: str
    subject_id: int | None
    actor_label: str
    created_at: dt.datetime
    read_at: dt.datetime | None

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True, slots=True)
class Preferences:
    """How one person wants to hear about things. Defaults: email on, chat off, nothing muted.

    `version` is what an update names (a stale one is a Conflict); a person who never saved has version 1."""

    person_id: int
    email: bool
    chat: bool
    webhook_url: str
    muted_kinds: tuple[str, ...]
    version: int
    updated_at: dt.datetime | None

    def wants(self, channel: Channel | str, kind: str) -> bool:
        """False when `kind` is muted on `channel` (or everywhere); the on/off switches are separate."""
        return not kind_is_muted(self.muted_kinds, channel, kind)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One email or chat-webhook post in the outbox, with its attempts. `target` never shows a webhook's secret
    path: only its scheme and host."""

    id: DeliveryId
    person_id: int | None
    channel: Channel
    kind: str
    title: str
    target: str
    status: DeliveryStatus
    attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one run over the outbox did: attempted = sent + retrying + failed."""

    attempted: int
    sent: int
    retrying: int
    failed: int


def kind_is_muted(mutes: tuple[str, ...] | list[str], channel: Channel | str, kind: str) -> bool:
    """Whether any of `mutes` silences `kind` on `channel` (pure; the rule behind Preferences.wants)."""
    for mute in mutes:
        match = MUTE_RE.match(mute)
        if match is None:
            continue
        if match["channel"] and match["channel"] != str(channel):
            continue
        pattern = match["kind"]
        if pattern == "*" or pattern == kind:
            return True
        if pattern.endswith(".*") and (kind == pattern[:-2] or kind.startswith(pattern[:-1])):
            return True
    return False

"""Optimistic concurrency: an update names the version it read; a stale version is a Conflict (HTTP 409).

One compare-and-set for the whole product: `compare_and_set` (the bare write, True or False), `update_versioned`
(the write or the Conflict), `conflict` (the error for a row someone else wrote first). The machines' apply
(kernel.machine_apply) and every service use these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

from .errors import Conflict, NotFound


def compare_and_set(row: models.Model, *, expected_version: int, changes: Mapping[str, Any]) -> bool:
    """Write `changes` only if the row still has `expected_version`, bumping it in the same statement, and update
    the loaded row in memory (one query). False when someone wrote first.

    A compare-and-set UPDATE works the same on SQLite (where select_for_update does nothing) and PostgreSQL, so of
    two concurrent writers naming the same version exactly one succeeds."""
    model = type(row)
    values = dict(changes)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = timezone.now()
    if model.objects.filter(pk=row.pk, version=expected_version).update(version=F("version") + 1, **values) == 0:
        return False
    for key, value in values.items():
        setattr(row, key, value)
    row.version = expected_version + 1
    return True


def conflict(row: models.Model, version: int, *, noun: str | None = None, state_field: str | None = None) -> Exception:
    """The error for a write that lost: NotFound when the row is gone, else a Conflict naming the version read and
    the current one (and the current state, for a machine's record)."""
    model = type(row)
    noun = noun or str(model._meta.verbose_name)
    fields = ("version", state_field) if state_field else ("version",)
    current = model.objects.filter(pk=row.pk).values_list(*fields).first()
    if current is None:
        return NotFound(f"{noun} {row.pk} no longer exists")
    now = f"{current[0]}: {current[1]}" if state_field else f"{current[0]}"
    details: dict[str, Any] = {"field": "version", "expected": version, "current": current[0]}
    if state_field:
        details["state"] = current[1]
    return Conflict(
        f"{noun} {row.pk} was changed by someone else (you read version {version}, it is now {now}); "
        "reload and try again",
        field="version",
        details=details,
    )


def update_versioned(
    instance: models.Model,
    *,
    expected_version: int,
    changes: Mapping[str, Any],
    noun: str | None = None,
    refresh: bool = True,
) -> models.Model:
    """Write `changes` only if the row still has `expected_version` (else `conflict`), bumping the version in the
    same statement; `refresh` reads the row back (values the database normalises), else it is updated in memory."""
    if not compare_and_set(instance, expected_version=expected_version, changes=changes):
        raise conflict(instance, expected_version, noun=noun)
    if refresh:
        instance.refresh_from_db()
    return instance

"""Optimistic concurrency: an update names the version it read; a stale version is a Conflict (HTTP 409)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F

from .errors import Conflict, NotFound


def update_versioned(instance: models.Model, *, expected_version: int, changes: dict[str, Any]) -> models.Model:
    """Write `changes` only if the row still has `expected_version`; bump the version in the same statement.

    A compare-and-set UPDATE works the same on SQLite (where select_for_update does nothing) and PostgreSQL,
    so of two concurrent writers naming the same version exactly one succeeds and the other gets Conflict.
    """
    model = type(instance)
    values = dict(changes)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        from django.utils import timezone

        values["updated_at"] = timezone.now()
    updated = model.objects.filter(pk=instance.pk, version=expected_version).update(version=F("version") + 1, **values)
    if updated == 0:
        if not model.objects.filter(pk=instance.pk).exists():
            raise NotFound(f"{model._meta.verbose_name} {instance.pk} no longer exists")
        current = model.objects.filter(pk=instance.pk).values_list("version", flat=True).first()
        raise Conflict(
            f"{model._meta.verbose_name} {instance.pk} was changed by someone else "
            f"(you read version {expected_version}, it is now {current}); reload and try again",
            field="version",
            details={"field": "version", "expected": expected_version, "current": current},
        )
    instance.refresh_from_db()
    return instance

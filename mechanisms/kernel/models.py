"""Abstract base model (no tables): timestamps and the optimistic-concurrency version."""

from __future__ import annotations

from django.db import models


class VersionedModel(models.Model):
    """Every mutable record carries a version; an update names the version it read (DESIGN.md §4)."""

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

"""Private models of the catalog app. Teams are referenced by plain id columns (DESIGN.md §3)."""

from __future__ import annotations

from django.db import models

from mechanisms.kernel.models import VersionedModel


class Service(VersionedModel):
    """A service owned by exactly one team. Imported catalogs may name an owner that is not a team (a person, a
    department): `owner_team_id` is then empty and `owner_ref` keeps what the source said, so the mandate checks
    can flag it (catalog/unowned-service) instead of the import refusing reality."""

    name = models.CharField(max_length=63, unique=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    owner_team_id = models.BigIntegerField(db_index=True, null=True, blank=True)
    owner_ref = models.CharField(max_length=300, blank=True)
    lifecycle = models.CharField(max_length=16, default="production", db_index=True)
    kind = models.CharField(max_length=32, default="service")
    tier = models.PositiveSmallIntegerField(default=3)
    repository = models.CharField(max_length=500, blank=True)
    on_call = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]


class OwnershipPeriod(models.Model):
    """Which team owned a service when: kept forever, so a transfer never loses history."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="ownership")
    team_id = models.BigIntegerField(db_index=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)


class Interface(VersionedModel):
    """A way to call a service, of any technology (the mandate does not care, M4)."""

    name = models.CharField(max_length=63, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="interfaces")
    type = models.CharField(max_length=32, default="openapi")
    api_version = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    definition = models.TextField(blank=True)
    docs_url = models.CharField(max_length=500, blank=True)
    auth_scheme = models.CharField(max_length=200, blank=True)
    visibility = models.CharField(max_length=16, default="internal")
    lifecycle = models.CharField(max_length=16, default="production")

    class Meta:
        ordering = ["name"]


class Datastore(VersionedModel):
    """A database, bucket, queue, topic or cache, owned by one service."""

    name = models.CharField(max_length=63, unique=True)
    type = models.CharField(max_length=32, default="database")
    description = models.TextField(blank=True)
    owner_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="datastores"
    )

    class Meta:
        ordering = ["name"]


class Dependency(VersionedModel):
    """An edge from a service: consumes an interface, accesses a datastore, or links another service."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependencies")
    kind = models.CharField(max_length=16)
    interface = models.ForeignKey(Interface, null=True, blank=True, on_delete=models.CASCADE, related_name="consumers")
    datastore = models.ForeignKey(Datastore, null=True, blank=True, on_delete=models.CASCADE, related_name="accessors")
    target_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="linked_by"
    )
    access = models.CharField(max_length=16, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "interface"], name="catalog_dep_consumes_unique"),
            models.UniqueConstraint(fields=["service", "datastore"], name="catalog_dep_accesses_unique"),
            models.UniqueConstraint(fields=["service", "target_service"], name="catalog_dep_links_unique"),
        ]

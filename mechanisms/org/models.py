"""Private models of the org app."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from mechanisms.kernel.models import VersionedModel


class Person(VersionedModel):
    """Someone in the organization, with a reporting line (the bar-raiser pool is the bar_raisers app's)."""

    handle = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, unique=True)
    title = models.CharField(max_length=200, blank=True)
    discipline = models.CharField(max_length=32, default="engineering")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    active = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )

    class Meta:
        ordering = ["name", "id"]


class OrgUnit(VersionedModel):
    """A node of the org tree (company > division > org); every unit has a leader."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, default="org")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    leader = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="units_led")

    class Meta:
        ordering = ["name", "id"]


class Team(VersionedModel):
    """A two-pizza team: a charter (the customer problem), a single-threaded leader, members."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    charter = models.TextField(blank=True)
    status = models.CharField(max_length=16, default="active", db_index=True)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="teams")
    leader = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="teams_led")
    created_on = models.DateField()
    dissolved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]


class Membership(models.Model):
    """A person's membership of a team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, default="member")
    joined_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "person"], name="org_membership_unique")]
        indexes = [models.Index(fields=["person", "team"], name="org_membership_person_idx")]


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)


class RoleGrant(VersionedModel):
    """A role (recruiter, finance, leadership) held by a person over the whole company (no org unit) or over an
    org-unit subtree, in force from `starts_on` up to but not including `ends_on` (MECHANISMS.md, Access)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="role_grants")
    role = models.CharField(max_length=32, db_index=True)
    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="role_grants")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    granted_by = models.CharField(max_length=150)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["person_id", "role", "id"]
        indexes = [models.Index(fields=["person", "role"], name="org_rolegrant_person_idx")]

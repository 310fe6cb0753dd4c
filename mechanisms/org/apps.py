from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry


class OrgConfig(AppConfig):
    name = "mechanisms.org"
    label = "org"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.org.api:router",
        urls="mechanisms.org.urls",
        cli=(
            Command("people", "mechanisms.org.cli:people"),
            Command("teams", "mechanisms.org.cli:teams"),
            Command("users", "mechanisms.org.cli:users"),
            Command("tokens", "mechanisms.org.cli:tokens"),
        ),
        nav=(
            NavEntry("organization", "Teams", "/teams", order=10),
            NavEntry("organization", "People", "/people", order=20),
        ),
    )

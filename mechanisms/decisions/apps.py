from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts


class DecisionsConfig(AppConfig):
    """Decisions (MECHANISMS.md §7): decision records, signed stances, revisits and outcome reviews, MADR files."""

    name = "mechanisms.decisions"
    label = "decisions"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.decisions.api:router",
        urls="mechanisms.decisions.urls",
        cli=(Command("decisions", "mechanisms.decisions.cli:decisions"),),
    )

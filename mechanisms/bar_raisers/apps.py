from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel


class BarRaisersConfig(AppConfig):
    """Bar raisers (MECHANISMS.md §4): the pool, independence, assignment and reviews that hiring, decisions,
    experiments, corrections and the mandate's waivers use through `services.py`."""

    name = "mechanisms.bar_raisers"
    label = "bar_raisers"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.bar_raisers.api:router",
        urls="mechanisms.bar_raisers.urls",
        cli=(Command("bar-raisers", "mechanisms.bar_raisers.cli:bar_raisers"),),
        nav=(NavEntry("hiring", "Bar raisers", "/bar-raisers", order=20),),
        panels=(
            Panel("person", "bar_raisers/_person_pool.html", "mechanisms.bar_raisers.views:person_pool", 20, "side"),
        ),
    )

    def ready(self) -> None:
        from . import history

        history.register()

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel, SearchKind


class MetricsConfig(AppConfig):
    """Metrics (MECHANISMS.md §8): the registry, data, WBR decks and goals."""

    name = "mechanisms.metrics"
    label = "metrics"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.metrics.api:router",
        urls="mechanisms.metrics.urls",
        cli=(
            Command("metrics", "mechanisms.metrics.cli:metrics"),
            Command("decks", "mechanisms.metrics.cli:decks"),
            Command("goals", "mechanisms.metrics.cli:goals"),
        ),
        nav=(
            NavEntry("metrics", "Metrics", "/metrics", order=10),
            NavEntry("metrics", "Weekly Business Review", "/wbr", order=20),
            NavEntry("metrics", "Goals", "/goals", order=30),
        ),
        # Panels (team, person, home) and search kinds are added by the parts that draw them.
        panels=(
            # first part: the registry
            Panel("team", "metrics/_team_metrics.html", "mechanisms.metrics.views:team_metrics", 45, "main"),
            # third part: decks
            Panel("team", "metrics/deck_panel_team.html", "mechanisms.metrics.views:team_decks", 46, "main"),
            Panel("home", "metrics/deck_panel_home.html", "mechanisms.metrics.views:home_decks", 30, "side"),
        ),
        search=(
            # first part: the registry
            SearchKind("metrics", "Metrics", "mechanisms.metrics.views:search_metrics", order=70),
        ),
    )

    def ready(self) -> None:
        # history.register(), the worker's jobs (SQL pulls, weekly snapshots) and deadline checks are registered
        # here by the parts that own them.
        from . import history

        history.register()
        # --- second part: data. The worker pulls due SQL sources (docs/worker.md).
        from mechanisms.kernel.schedule import Periodic, register

        from . import services as data_services

        register(
            Periodic(
                "metrics.sql_pulls",
                every=data_services.PULL_EVERY,
                task_path="mechanisms.metrics.tasks.pull_sql_sources",
            )
        )
        # third part: decks (history of decks and their commentary; the weekly snapshot job)
        import datetime as dt

        from mechanisms.kernel import schedule

        schedule.register(
            schedule.Periodic(
                "metrics.deck_snapshots",
                every=dt.timedelta(days=1),
                task_path="mechanisms.metrics.tasks.take_snapshots",
            )
        )

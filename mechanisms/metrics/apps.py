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
            # fourth part: goals
            Panel("team", "metrics/goal_team_panel.html", "mechanisms.metrics.views:team_goals_panel", 35),
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
        # --- second part: data. The worker pulls due SQL sources (docs/worker.md); the data verbs join the metric's
        # history (keep this after the registry's history.register(): it extends the registered type).
        import datetime as dt

        from mechanisms.kernel import schedule
        from mechanisms.kernel.schedule import Periodic, register

        from . import services as data_services

        register(
            Periodic(
                "metrics.sql_pulls",
                every=data_services.PULL_EVERY,
                task_path="mechanisms.metrics.tasks.pull_sql_sources",
            )
        )
        data_services.register_data_history()

        # third part: decks (history of decks and their commentary; the weekly snapshot job)
        schedule.register(
            schedule.Periodic(
                "metrics.deck_snapshots",
                every=dt.timedelta(days=1),
                task_path="mechanisms.metrics.tasks.take_snapshots",
            )
        )

        # --- fourth part: goals (their history; the daily close of due goals from their data)
        from . import goal_history

        goal_history.register()
        register(
            Periodic(
                "metrics.close_due_goals",
                every=dt.timedelta(days=1),
                task_path="mechanisms.metrics.tasks.close_due_goals",
            )
        )

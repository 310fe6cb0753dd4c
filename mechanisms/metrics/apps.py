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
            NavEntry("metrics", "WBR", "/wbr", order=20),
            NavEntry("metrics", "Goals", "/goals", order=30),
        ),
        panels=(
            # first part: the registry
            Panel("team", "metrics/_team_metrics.html", "mechanisms.metrics.views:team_metrics", 45, "main"),
            # third part: decks
            Panel("team", "metrics/deck_panel_team.html", "mechanisms.metrics.views:team_decks", 46, "main"),
            Panel("home", "metrics/deck_panel_home.html", "mechanisms.metrics.views:home_decks", 30, "side"),
            # fourth part: goals
            Panel("team", "metrics/goal_team_panel.html", "mechanisms.metrics.views:team_goals_panel", 35),
        ),
        search=(
            # first part: the registry
            SearchKind("metrics", "Metrics", "mechanisms.metrics.views:search_metrics", order=70),
        ),
    )

    def ready(self) -> None:
        import datetime as dt

        from mechanisms.kernel.schedule import Periodic, register

        from . import goal_history, history
        from . import services as data_services

        # The app's audit subject types (metric, deck, goal), then the goals' own history.
        history.register()
        goal_history.register()
        # The worker's jobs (docs/worker.md): due SQL pulls; each deck's weekly snapshot (daily, idempotent per deck
        # and week); the close of due goals from their data.
        register(
            Periodic(
                "metrics.sql_pulls",
                every=data_services.PULL_EVERY,
                task_path="mechanisms.metrics.tasks.pull_sql_sources",
            )
        )
        register(
            Periodic(
                "metrics.deck_snapshots",
                every=dt.timedelta(days=1),
                task_path="mechanisms.metrics.tasks.take_snapshots",
            )
        )
        register(
            Periodic(
                "metrics.close_due_goals",
                every=dt.timedelta(days=1),
                task_path="mechanisms.metrics.tasks.close_due_goals",
            )
        )

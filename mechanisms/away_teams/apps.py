import datetime as dt

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel


class AwayTeamsConfig(AppConfig):
    name = "mechanisms.away_teams"
    label = "away_teams"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.away_teams.api:router",
        urls="mechanisms.away_teams.urls",
        cli=(Command("away", "mechanisms.away_teams.cli:away"),),
        nav=(NavEntry("collaboration", "Away teams", "/away", order=10),),
        panels=(
            Panel(
                "team",
                "away_teams/_team_requests_link.html",
                "mechanisms.away_teams.views:team_requests_link",
                20,
                "links",
            ),
            Panel(
                "service",
                "away_teams/_service_requests_link.html",
                "mechanisms.away_teams.views:service_requests_link",
                20,
                "links",
            ),
            Panel(
                "service",
                "away_teams/_service_request_change_action.html",
                "mechanisms.away_teams.views:service_request_change_action",
                10,
                "actions",
            ),
            Panel(
                "home",
                "away_teams/_home_escalations.html",
                "mechanisms.away_teams.views:home_escalations_panel",
                10,
                "side",
            ),
        ),
    )

    def ready(self) -> None:
        from mechanisms.kernel.schedule import Periodic, register

        from . import history

        history.register()
        from mechanisms.notifications import services as notifications_services

        from . import services

        notifications_services.register_deadline_check(
            subject_type=services.SUBJECT_TYPE, still_due=services.awaiting_answer
        )
        # The worker's schedule (docs/worker.md): reminders of late answers, escalations and warranty ends.
        register(
            Periodic("away_teams.sweep", every=dt.timedelta(hours=1), task_path="mechanisms.away_teams.tasks.sweep")
        )

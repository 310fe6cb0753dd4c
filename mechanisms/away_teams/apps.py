import datetime as dt

from django.apps import AppConfig


class AwayTeamsConfig(AppConfig):
    name = "mechanisms.away_teams"
    label = "away_teams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The worker's schedule (docs/worker.md): reminders of late answers, escalations and warranty ends.
        from mechanisms.kernel.schedule import Periodic, register

        register(
            Periodic("away_teams.sweep", every=dt.timedelta(hours=1), task_path="mechanisms.away_teams.tasks.sweep")
        )

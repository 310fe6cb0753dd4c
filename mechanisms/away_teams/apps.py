from django.apps import AppConfig


class AwayTeamsConfig(AppConfig):
    name = "mechanisms.away_teams"
    label = "away_teams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import history

        history.register()

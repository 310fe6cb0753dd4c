from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry


class AwayTeamsConfig(AppConfig):
    name = "mechanisms.away_teams"
    label = "away_teams"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.away_teams.api:router",
        urls="mechanisms.away_teams.urls",
        cli=(Command("away", "mechanisms.away_teams.cli:away"),),
        nav=(NavEntry("collaboration", "Away teams", "/away", order=10),),
    )

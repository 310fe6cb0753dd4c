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
            Panel("team", "away_teams/_team_requests_link.html", "mechanisms.away_teams.views:team_requests_link",
                  20, "links"),
            Panel("service", "away_teams/_service_requests_link.html",
                  "mechanisms.away_teams.views:service_requests_link", 20, "links"),
            Panel("service", "away_teams/_service_request_change_action.html",
                  "mechanisms.away_teams.views:service_request_change_action", 10, "actions"),
        ),
    )

    def ready(self) -> None:
        from . import history

        history.register()

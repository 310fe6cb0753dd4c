from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel


class MandateConfig(AppConfig):
    name = "mechanisms.mandate"
    label = "mandate"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.mandate.api:router",
        urls="mechanisms.mandate.urls",
        cli=(Command("mandate", "mechanisms.mandate.cli:mandate"),),
        nav=(
            NavEntry("organization", "Org units", "/units", order=30),
            NavEntry("catalog", "Findings", "/findings", order=15),
            NavEntry("catalog", "Conway", "/conway", order=20),
            NavEntry("catalog", "Waivers", "/waivers", order=30),
        ),
        panels=(
            Panel("home", "mandate/_home_findings.html", "mechanisms.mandate.views:home_findings_panel", 10, "side"),
            Panel("team", "mandate/_team_scorecard_link.html", "mechanisms.mandate.views:team_scorecard_link",
                  10, "links"),
        ),
    )

    def ready(self) -> None:
        # Incremental evaluation: org and catalog say which teams a committed write changed (kernel.events).
        from mechanisms.kernel import events

        from . import history, services

        events.subscribe(services.on_teams_changed)
        history.register()

from django.apps import AppConfig

from mechanisms.kernel.mounts import Mounts, NavEntry, Panel


class WebConfig(AppConfig):
    """The shell: layout, sign-in, search and the composite pages."""

    name = "mechanisms.web"
    label = "web"
    mounts = Mounts(
        urls="mechanisms.web.urls",
        nav=(
            NavEntry("organization", "Home", "/", order=0),
            NavEntry("operations", "Search", "/search", order=10),
            NavEntry("operations", "API", "/api/docs", order=90),
        ),
        # The history of the page's subject, last in the side column.
        panels=(
            Panel("team", "web/_history.html", "mechanisms.web.views:team_history_panel", 90, "side"),
            Panel("service", "web/_history.html", "mechanisms.web.views:service_history_panel", 90, "side"),
            Panel("person", "web/_history.html", "mechanisms.web.views:person_history_panel", 90, "side"),
        ),
    )

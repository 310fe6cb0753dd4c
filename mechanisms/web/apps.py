from django.apps import AppConfig

from mechanisms.kernel.mounts import Mounts, NavEntry


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
    )

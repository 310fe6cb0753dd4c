from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel, SearchKind


class OrgConfig(AppConfig):
    name = "mechanisms.org"
    label = "org"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.org.api:router",
        urls="mechanisms.org.urls",
        cli=(
            Command("people", "mechanisms.org.cli:people"),
            Command("teams", "mechanisms.org.cli:teams"),
            Command("users", "mechanisms.org.cli:users"),
            Command("tokens", "mechanisms.org.cli:tokens"),
            Command("roles", "mechanisms.org.cli:roles"),
        ),
        nav=(
            NavEntry("organization", "Teams", "/teams", order=10),
            NavEntry("organization", "People", "/people", order=20),
            NavEntry("organization", "Role grants", "/roles", order=30),
        ),
        panels=(
            Panel("team", "org/_team_head.html", "mechanisms.org.views:team_head_panel", order=10, slot="head"),
            Panel("team", "org/_team_edit_action.html", "mechanisms.org.views:team_edit_action", 10, "actions"),
            Panel("team", "org/_team_charter.html", "mechanisms.org.views:team_charter_panel", order=10),
            Panel("team", "org/_team_members.html", "mechanisms.org.views:team_members_panel", 10, "side"),
            Panel("person", "org/_person_head.html", "mechanisms.org.views:person_head_panel", 10, "head"),
            Panel("person", "org/_person_teams.html", "mechanisms.org.views:person_teams_panel", order=10),
        ),
        search=(
            SearchKind("teams", "Teams", "mechanisms.org.views:search_teams", order=10),
            SearchKind("people", "People", "mechanisms.org.views:search_people", order=30),
        ),
    )

    def ready(self) -> None:
        from . import history

        history.register()

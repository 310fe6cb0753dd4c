from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel, SearchKind


class CatalogConfig(AppConfig):
    name = "mechanisms.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.catalog.api:router",
        urls="mechanisms.catalog.urls",
        cli=(Command("services", "mechanisms.catalog.cli:services_app"),),
        nav=(NavEntry("catalog", "Services", "/services", order=10),),
        panels=(
            Panel(
                "team",
                "catalog/_team_new_service_action.html",
                "mechanisms.catalog.views:team_new_service_action",
                20,
                "actions",
            ),
            Panel("team", "catalog/_team_services.html", "mechanisms.catalog.views:team_services_panel", order=20),
            Panel("team", "catalog/_team_dependencies.html", "mechanisms.catalog.views:team_dependencies_panel", 30),
            Panel("service", "catalog/_service_head.html", "mechanisms.catalog.views:service_head_panel", 10, "head"),
            Panel(
                "service",
                "catalog/_service_edit_action.html",
                "mechanisms.catalog.views:service_edit_action",
                20,
                "actions",
            ),
            Panel("service", "catalog/_service_parts.html", "mechanisms.catalog.views:service_parts_panel", 10),
            Panel(
                "service",
                "catalog/_service_ownership.html",
                "mechanisms.catalog.views:service_ownership_panel",
                10,
                "side",
            ),
        ),
        search=(
            SearchKind("services", "Services", "mechanisms.catalog.views:search_services", order=20),
            SearchKind("interfaces", "Interfaces", "mechanisms.catalog.views:search_interfaces", order=40),
        ),
    )

    def ready(self) -> None:
        from . import history

        history.register()

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry


class CatalogConfig(AppConfig):
    name = "mechanisms.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.catalog.api:router",
        urls="mechanisms.catalog.urls",
        cli=(Command("services", "mechanisms.catalog.cli:services_app"),),
        nav=(NavEntry("catalog", "Services", "/services", order=10),),
    )

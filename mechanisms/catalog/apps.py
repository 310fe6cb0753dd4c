from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "mechanisms.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import history

        history.register()

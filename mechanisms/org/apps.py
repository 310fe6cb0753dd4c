from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "mechanisms.org"
    label = "org"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import history

        history.register()

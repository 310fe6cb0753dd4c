from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mechanisms.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import history

        history.register()

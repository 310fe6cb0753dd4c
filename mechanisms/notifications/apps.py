from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry


class NotificationsConfig(AppConfig):
    name = "mechanisms.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.notifications.api:router",
        urls="mechanisms.notifications.urls",
        cli=(Command("inbox", "mechanisms.notifications.cli:inbox"),),
        nav=(NavEntry("personal", "Inbox", "/inbox", order=10),),
    )

    def ready(self) -> None:
        from . import history

        history.register()

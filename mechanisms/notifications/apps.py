import datetime as dt

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
        from mechanisms.kernel.schedule import Periodic, register

        from . import history

        history.register()
        # The worker's schedule (docs/worker.md): retries of the outbox every minute; deadlines every five, which
        # bounds how late a reminder may come, not how often it is sent (that is each deadline's own period).
        tasks = "mechanisms.notifications.tasks"
        register(
            Periodic("notifications.deliver", every=dt.timedelta(minutes=1), task_path=f"{tasks}.deliver_notifications")
        )
        register(Periodic("notifications.deadlines", every=dt.timedelta(minutes=5), task_path=f"{tasks}.run_deadlines"))

import datetime as dt

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mechanisms.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The worker's schedule (docs/worker.md): retries of the outbox every minute; deadlines every five, which
        # bounds how late a reminder may come, not how often it is sent (that is each deadline's own period).
        from mechanisms.kernel.schedule import Periodic, register

        tasks = "mechanisms.notifications.tasks"
        register(
            Periodic("notifications.deliver", every=dt.timedelta(minutes=1), task_path=f"{tasks}.deliver_notifications")
        )
        register(Periodic("notifications.deadlines", every=dt.timedelta(minutes=5), task_path=f"{tasks}.run_deadlines"))

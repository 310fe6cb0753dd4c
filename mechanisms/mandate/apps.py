import datetime as dt

from django.apps import AppConfig


class MandateConfig(AppConfig):
    name = "mechanisms.mandate"
    label = "mandate"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Incremental evaluation: org and catalog say which teams a committed write changed (kernel.events); the
        # re-evaluation runs in the worker, off the request thread, queued changes coalesced into one run.
        from mechanisms.kernel import events, schedule

        from . import services

        events.subscribe(events.TeamsChanged, services.on_teams_changed, as_task=True)
        # The worker's schedule (docs/worker.md): a waiver that expired stops counting in the stored findings.
        schedule.register(
            schedule.Periodic(
                "mandate.waiver_expiry",
                every=dt.timedelta(hours=1),
                task_path="mechanisms.mandate.tasks.expire_waivers",
            )
        )

from django.apps import AppConfig


class MandateConfig(AppConfig):
    name = "mechanisms.mandate"
    label = "mandate"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Incremental evaluation: org and catalog say which teams a committed write changed (kernel.events); the
        # re-evaluation runs in the worker, off the request thread, queued changes coalesced into one run.
        from mechanisms.kernel import events

        from . import services

        events.subscribe(events.TeamsChanged, services.on_teams_changed, as_task=True)

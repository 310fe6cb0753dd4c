from django.apps import AppConfig


class MandateConfig(AppConfig):
    name = "mechanisms.mandate"
    label = "mandate"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Incremental evaluation: org and catalog say which teams a committed write changed (kernel.events).
        from mechanisms.kernel import events

        from . import history, services

        events.subscribe(services.on_teams_changed)
        history.register()

from django.apps import AppConfig

from mechanisms.kernel.mounts import Mounts


class BarRaisersConfig(AppConfig):
    """Bar raisers (MECHANISMS.md §4): the pool, independence, assignment and reviews that hiring, decisions,
    experiments, corrections and the mandate's waivers use through `services.py`."""

    name = "mechanisms.bar_raisers"
    label = "bar_raisers"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts()

    def ready(self) -> None:
        from . import history

        history.register()

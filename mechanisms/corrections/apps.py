from django.apps import AppConfig

from mechanisms.kernel.mounts import Mounts


class CorrectionsConfig(AppConfig):
    """Correction of errors and the andon cord (MECHANISMS.md §11). No tables or pages yet."""

    name = "mechanisms.corrections"
    label = "corrections"
    default_auto_field = "django.db.models.BigAutoField"
    # Nothing to mount yet: its API, pages and CLI come with its services (docs/corrections.md).
    mounts = Mounts()

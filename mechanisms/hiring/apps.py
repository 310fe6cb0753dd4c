from django.apps import AppConfig

from mechanisms.kernel.mounts import Mounts


class HiringConfig(AppConfig):
    """Hiring loops (MECHANISMS.md §5): openings, candidates, loops with a bar raiser, sealed feedback, the debrief."""

    name = "mechanisms.hiring"
    label = "hiring"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts()

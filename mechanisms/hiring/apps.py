from django.apps import AppConfig

from mechanisms.kernel.mounts import Mounts, NavEntry, Panel


class HiringConfig(AppConfig):
    """Hiring loops (MECHANISMS.md §5): openings, candidates, loops with a bar raiser, sealed feedback, the debrief."""

    name = "mechanisms.hiring"
    label = "hiring"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        urls="mechanisms.hiring.urls",
        nav=(NavEntry("personal", "My interviews", "/hiring/interviews", order=20),),
        panels=(
            Panel("home", "hiring/_home_feedback_due.html", "mechanisms.hiring.views:feedback_due_panel", 5, "side"),
        ),
    )

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel


class HiringConfig(AppConfig):
    """Hiring loops (MECHANISMS.md §5): openings, candidates, loops with a bar raiser, sealed feedback, the debrief."""

    name = "mechanisms.hiring"
    label = "hiring"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.hiring.api:router",
        urls="mechanisms.hiring.urls",
        cli=(Command("hiring", "mechanisms.hiring.cli:hiring"),),
        nav=(
            NavEntry("hiring", "Openings", "/hiring", order=10),
            NavEntry("personal", "My interviews", "/hiring/interviews", order=20),
        ),
        panels=(
            Panel("home", "hiring/_home_feedback_due.html", "mechanisms.hiring.views:feedback_due_panel", 5, "side"),
        ),
    )

    def ready(self) -> None:
        from . import history

        history.register()
        # --- loops: the HIRING_LOOP subject kind with bar_raisers, deadline checks below

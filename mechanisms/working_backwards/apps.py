from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel


class WorkingBackwardsConfig(AppConfig):
    """Working backwards (MECHANISMS.md §6): PR/FAQs in widening circles, the funnel, six-page narratives."""

    name = "mechanisms.working_backwards"
    label = "working_backwards"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.working_backwards.api:router",
        urls="mechanisms.working_backwards.urls",
        cli=(
            Command("prfaqs", "mechanisms.working_backwards.cli:prfaqs"),
            Command("narratives", "mechanisms.working_backwards.cli:narratives"),
        ),
        nav=(NavEntry("documents", "PR/FAQ board", "/prfaqs/board", order=12),),
        panels=(
            Panel(
                "home",
                "working_backwards/_home_waiting.html",
                "mechanisms.working_backwards.views:home_waiting_panel",
                15,
                "side",
            ),
        ),
    )

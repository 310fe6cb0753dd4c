from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts


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
    )

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, SearchKind


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
        nav=(NavEntry("documents", "Narratives", "/narratives", order=20),),
        search=(SearchKind("narratives", "Narratives", "mechanisms.working_backwards.views:search_narratives", 75),),
    )

    def ready(self) -> None:
        from mechanisms.documents import services as documents_services

        from . import history, services
        from .contracts import NARRATIVE_KIND, NARRATIVE_PARTS

        # Narratives (MECHANISMS.md §6): their documents, and their history.
        documents_services.register_owner(
            NARRATIVE_KIND,
            label="narrative",
            parts=NARRATIVE_PARTS,
            access=services.narrative_access,
            url=services.narrative_url,
            session_refused=services.narrative_session_refused,
        )
        history.register_narrative()

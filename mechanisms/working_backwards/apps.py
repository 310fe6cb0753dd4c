from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel, SearchKind


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
        nav=(
            NavEntry("documents", "PR/FAQs", "/prfaqs", order=10),
            NavEntry("documents", "PR/FAQ board", "/prfaqs/board", order=12),
            NavEntry("documents", "Narratives", "/narratives", order=20),
        ),
        search=(
            SearchKind("prfaqs", "PR/FAQs", "mechanisms.working_backwards.views:search_prfaqs", order=70),
            SearchKind("narratives", "Narratives", "mechanisms.working_backwards.views:search_narratives", order=75),
        ),
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

    def ready(self) -> None:
        from mechanisms.bar_raisers import services as bar_raisers_services
        from mechanisms.bar_raisers.contracts import SubjectKind
        from mechanisms.documents import services as documents_services

        from . import history, services
        from .contracts import NARRATIVE_KIND, NARRATIVE_PARTS, PRFAQ_KIND, PRFAQ_PARTS

        # --- PR/FAQs: their history, the documents owner `prfaq` and the bar-raiser subject kind PRFAQ, all asking
        # the policy.
        history.register()
        documents_services.register_owner(
            PRFAQ_KIND,
            label="PR/FAQ",
            parts=PRFAQ_PARTS,
            access=services.prfaq_document_access,
            url=services.prfaq_url,
            frozen=services.prfaq_frozen,
        )
        # A high-impact PR/FAQ gets a bar-raiser review when it leaves draft: described and shown through the
        # policy (only its readers see the review); the author answers it, and may go against it (overridable).
        bar_raisers_services.register_subject_kind(
            SubjectKind.PRFAQ,
            describe=services.describe_prfaq,
            visible=services.visible_prfaq_ids,
            acts_for_owner=services.acts_for_author,
        )
        # --- narratives (reading): their documents (a session refused over six pages), and their history
        documents_services.register_owner(
            NARRATIVE_KIND,
            label="narrative",
            parts=NARRATIVE_PARTS,
            access=services.narrative_access,
            url=services.narrative_url,
            session_refused=services.narrative_session_refused,
        )
        history.register_narrative()
        # --- board and funnel (board)

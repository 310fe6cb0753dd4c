from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel, SearchKind


def _sees_health(actor) -> bool:
    """The health figures' entry, for admins, leadership and recruiters only (services decide again)."""
    from . import services

    return services.can_see_health(actor=actor)


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
            NavEntry("hiring", "Hiring health", "/hiring/health", order=40, visible=_sees_health),
            NavEntry("personal", "My interviews", "/hiring/interviews", order=20),
        ),
        panels=(
            Panel("home", "hiring/_home_feedback_due.html", "mechanisms.hiring.views:feedback_due_panel", 5, "side"),
        ),
        search=(
            SearchKind("openings", "Openings", "mechanisms.hiring.views:search_openings", order=50),
            SearchKind("candidates", "Candidates", "mechanisms.hiring.views:search_candidates", order=60),
        ),
    )

    def ready(self) -> None:
        from . import history

        history.register()
        # --- loops: the HIRING_LOOP subject kind with bar_raisers, deadline checks below
        history.register_loops()
        from mechanisms.bar_raisers import services as bar_raisers_services
        from mechanisms.bar_raisers.contracts import SubjectKind
        from mechanisms.notifications import services as notifications_services

        from . import services

        # A loop's bar raiser reviews it (bar_raisers): described and shown through hiring's policy; a veto (do not
        # proceed) cannot be overridden; the recommendation waits for the debrief; only the loop's own moves
        # recommend on or answer its review (the loop and its review never disagree).
        bar_raisers_services.register_subject_kind(
            SubjectKind.HIRING_LOOP,
            describe=services.describe_loop,
            visible=services.visible_loop_ids,
            overridable=False,
            may_recommend=services.recommendation_hold,
            on_response=services.review_response,
            acts_for_owner=services.acts_for_hiring_manager,
        )
        # Late feedback is reminded and escalated until it is submitted (or the interview or loop goes away).
        notifications_services.register_deadline_check(
            subject_type=services.INTERVIEW_SUBJECT, still_due=services.feedback_still_due
        )
        # An opening's job description is a document (revisions, diffs, comments, attachments): documents asks
        # hiring's policy who may read and change it, and it freezes once the opening is closed or filled.
        from mechanisms.documents import services as documents_services

        documents_services.register_owner(
            services.JD_KIND,
            label="job description",
            parts=services.JD_PARTS,
            access=services.job_description_access,
            url=services.opening_url,
            frozen=services.job_description_frozen,
            check=services.job_description_check,
        )

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel, SearchKind


class DecisionsConfig(AppConfig):
    """Decisions (MECHANISMS.md §7): decision records, signed stances, revisits and outcome reviews, MADR files."""

    name = "mechanisms.decisions"
    label = "decisions"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.decisions.api:router",
        urls="mechanisms.decisions.urls",
        cli=(Command("decisions", "mechanisms.decisions.cli:decisions"),),
        nav=(NavEntry("documents", "Decisions", "/decisions", order=30),),
        panels=(
            Panel(
                "team",
                "decisions/_team_decisions_link.html",
                "mechanisms.decisions.views:team_decisions_link",
                40,
                "links",
            ),
            Panel(
                "person", "decisions/_person_decisions.html", "mechanisms.decisions.views:person_decisions", 40, "side"
            ),
        ),
        search=(SearchKind("decisions", "Decisions", "mechanisms.decisions.views:search_decisions", order=60),),
    )

    def ready(self) -> None:
        from mechanisms.bar_raisers import services as bar_raisers_services
        from mechanisms.bar_raisers.contracts import SubjectKind
        from mechanisms.notifications import services as notifications_services

        from . import history, policy, services

        history.register()
        notifications_services.register_deadline_check(
            subject_type=services.SUBJECT_TYPE, still_due=services.revisit_due
        )
        # High-impact design, architecture and customer-experience decisions get a bar-raiser review (§4); the
        # review's subject id is the decision's id.
        for kind in (SubjectKind.DESIGN, SubjectKind.ARCHITECTURE, SubjectKind.CUSTOMER_EXPERIENCE):
            bar_raisers_services.register_subject_kind(
                kind,
                describe=services.describe_subject,
                visible=policy.visible_ids,
                acts_for_owner=services.acts_for_owner,
            )

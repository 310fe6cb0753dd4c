from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel


def _has_person(actor) -> bool:
    return actor.person_id is not None


def _may_see_overrides(actor) -> bool:
    from . import services

    return services.can_see_overrides(actor=actor)


class BarRaisersConfig(AppConfig):
    """Bar raisers (MECHANISMS.md §4): the pool, independence, assignment and reviews that hiring, decisions,
    experiments, corrections and the mandate's waivers use through `services.py`."""

    name = "mechanisms.bar_raisers"
    label = "bar_raisers"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.bar_raisers.api:router",
        urls="mechanisms.bar_raisers.urls",
        cli=(Command("bar-raisers", "mechanisms.bar_raisers.cli:bar_raisers"),),
        nav=(
            NavEntry("hiring", "Bar raisers", "/bar-raisers", order=20),
            NavEntry("hiring", "Overrides", "/bar-raisers/overrides", order=40, visible=_may_see_overrides),
            NavEntry("personal", "Bar-raiser queue", "/bar-raisers/queue", order=30, visible=_has_person),
        ),
        panels=(
            Panel("person", "bar_raisers/_person_pool.html", "mechanisms.bar_raisers.views:person_pool", 20, "side"),
        ),
    )

    def ready(self) -> None:
        from mechanisms.notifications import services as notifications_services

        from . import history, services

        history.register()
        history.register_reviews()
        notifications_services.register_deadline_check(
            subject_type=services.REVIEW_SUBJECT_TYPE, still_due=services.awaiting_recommendation
        )

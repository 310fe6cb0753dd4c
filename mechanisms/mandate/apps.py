import datetime as dt

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel


class MandateConfig(AppConfig):
    name = "mechanisms.mandate"
    label = "mandate"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.mandate.api:router",
        urls="mechanisms.mandate.urls",
        cli=(Command("mandate", "mechanisms.mandate.cli:mandate"),),
        nav=(
            NavEntry("organization", "Org units", "/units", order=30),
            NavEntry("catalog", "Findings", "/findings", order=15),
            NavEntry("catalog", "Conway", "/conway", order=20),
            NavEntry("catalog", "Waivers", "/waivers", order=30),
        ),
        panels=(
            Panel("home", "mandate/_home_findings.html", "mechanisms.mandate.views:home_findings_panel", 10, "side"),
            Panel(
                "team", "mandate/_team_scorecard_link.html", "mechanisms.mandate.views:team_scorecard_link", 10, "links"
            ),
        ),
    )

    def ready(self) -> None:
        # Incremental evaluation: org and catalog say which teams a committed write changed (kernel.events); the
        # re-evaluation runs in the worker, off the request thread, queued changes coalesced into one run.
        from mechanisms.kernel import events, schedule

        from . import history, services

        events.subscribe(events.TeamsChanged, services.on_teams_changed, as_task=True)
        # The worker's schedule (docs/worker.md): a waiver that expired stops counting in the stored findings.
        schedule.register(
            schedule.Periodic(
                "mandate.waiver_expiry",
                every=dt.timedelta(hours=1),
                task_path="mechanisms.mandate.tasks.expire_waivers",
            )
        )
        history.register()
        # Waivers get their approval through a bar-raiser review (MECHANISMS.md §2 M6, §4): not overridable.
        from mechanisms.bar_raisers import services as bar_raisers_services
        from mechanisms.bar_raisers.contracts import SubjectKind

        bar_raisers_services.register_subject_kind(
            SubjectKind.WAIVER,
            describe=services.describe_waiver,
            visible=services.visible_waiver_ids,
            overridable=False,
            on_response=services.on_waiver_review,
        )

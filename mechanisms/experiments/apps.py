from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, NavEntry, Panel, SearchKind


class ExperimentsConfig(AppConfig):
    """Experiments (MECHANISMS.md §9): the registry, assignment, exposures, analysis and the launch decision."""

    name = "mechanisms.experiments"
    label = "experiments"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.experiments.api:router",
        urls="mechanisms.experiments.urls",
        cli=(Command("experiments", "mechanisms.experiments.cli:experiments"),),
        nav=(NavEntry("metrics", "Experiments", "/experiments", order=40),),
        panels=(
            Panel("team", "experiments/_team_panel.html", "mechanisms.experiments.views:team_panel", 47, "main"),
            Panel("service", "experiments/_service_panel.html", "mechanisms.experiments.views:service_panel", 60),
        ),
        search=(SearchKind("experiments", "Experiments", "mechanisms.experiments.views:search_experiments", order=75),),
    )

    def ready(self) -> None:
        from . import history

        # The app's audit subject types (experiment, metric source).
        history.register()
        # second part: the worker's jobs (the daily analysis of running experiments, the stop rule) and the
        # bar-raiser review's subject kind are registered here by the parts that own them.
        from mechanisms.kernel.schedule import Periodic, register

        from .tasks import STOP_RULE_EVERY

        # The stop rule (second part): hourly, each running experiment whose planned sample size is reached or whose
        # planned end date has passed is stopped by the product.
        register(
            Periodic(
                "experiments.stop_rule",
                every=STOP_RULE_EVERY,
                task_path="mechanisms.experiments.tasks.stop_due_experiments",
            )
        )
        self._analysis_ready()

    def _analysis_ready(self) -> None:
        """The analysis part: the daily analysis of every running experiment (idempotent per day), and the
        launch decision's bar-raiser review (SubjectKind.EXPERIMENT: its subject is the experiment's id, its owner
        the experiment's owner, its team the owning team; the owner's answer concludes or reopens the decision)."""
        import datetime as dt

        from mechanisms.bar_raisers import services as bar_raisers_services
        from mechanisms.bar_raisers.contracts import SubjectKind
        from mechanisms.kernel.schedule import Periodic, register

        from . import policy, services

        register(
            Periodic(
                "experiments.daily_analysis",
                every=dt.timedelta(days=1),
                task_path="mechanisms.experiments.tasks.analyse_running",
            )
        )
        bar_raisers_services.register_subject_kind(
            SubjectKind.EXPERIMENT,
            describe=services.describe_subject,
            visible=policy.visible_ids,
            on_response=services.on_review_response,
            acts_for_owner=services.acts_for_owner,
        )

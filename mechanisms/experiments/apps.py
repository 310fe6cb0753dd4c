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

from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts


class WorkflowsConfig(AppConfig):
    """Orchestration across apps; no tables. Its lifecycle commands join the org's and catalog's groups."""

    name = "mechanisms.workflows"
    label = "workflows"
    mounts = Mounts(
        api="mechanisms.workflows.api:router",
        urls="mechanisms.workflows.urls",
        cli=(
            Command("form", "mechanisms.workflows.cli:form", parent="teams"),
            Command("dissolution", "mechanisms.workflows.cli:dissolution", parent="teams"),
            Command("dissolve", "mechanisms.workflows.cli:dissolve", parent="teams"),
            Command("transfer", "mechanisms.workflows.cli:transfer", parent="services"),
        ),
    )

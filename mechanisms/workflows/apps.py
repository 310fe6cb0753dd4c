from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts, Panel


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
            # MADR files of the decision log (workflows.madr_io): `check` is offline.
            Command("import", "mechanisms.workflows.madr_cli:import_files", parent="decisions"),
            Command("export", "mechanisms.workflows.madr_cli:export_files", parent="decisions"),
            Command("check", "mechanisms.workflows.madr_cli:check_file", parent="decisions"),
        ),
        panels=(
            Panel(
                "team",
                "workflows/_team_dissolve_action.html",
                "mechanisms.workflows.views:team_dissolve_action",
                30,
                "actions",
            ),
            Panel(
                "service",
                "workflows/_service_transfer_action.html",
                "mechanisms.workflows.views:service_transfer_action",
                30,
                "actions",
            ),
        ),
    )

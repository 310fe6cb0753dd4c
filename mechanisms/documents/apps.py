from django.apps import AppConfig

from mechanisms.kernel.mounts import Command, Mounts


class DocumentsConfig(AppConfig):
    """Documents: revisions with diffs, anchored comments, attachments and reading sessions, for the apps that own
    documents (working_backwards, hiring, later corrections)."""

    name = "mechanisms.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(
        api="mechanisms.documents.api:router",
        urls="mechanisms.documents.urls",
        cli=(Command("documents", "mechanisms.documents.cli:documents"),),
    )

    def ready(self) -> None:
        from . import history

        history.register()

import datetime as dt

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
        from mechanisms.kernel.schedule import Periodic, register

        from . import history

        history.register()
        # Reading sessions past their time-box are closed by the worker (docs/worker.md), every minute.
        register(
            Periodic(
                "documents.close_sessions",
                every=dt.timedelta(minutes=1),
                task_path="mechanisms.documents.tasks.close_expired_sessions",
            )
        )

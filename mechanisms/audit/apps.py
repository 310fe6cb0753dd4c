from django.apps import AppConfig

from mechanisms.kernel.mounts import Mounts


class AuditConfig(AppConfig):
    name = "mechanisms.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
    mounts = Mounts(api="mechanisms.audit.api:router")

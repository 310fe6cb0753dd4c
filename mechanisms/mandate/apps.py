from django.apps import AppConfig


class MandateConfig(AppConfig):
    name = "mechanisms.mandate"
    label = "mandate"
    default_auto_field = "django.db.models.BigAutoField"

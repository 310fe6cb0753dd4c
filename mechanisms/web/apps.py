from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mechanisms.web"
    label = "web"

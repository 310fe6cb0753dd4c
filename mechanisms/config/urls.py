from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/", api.urls),
    path("", include("mechanisms.web.urls")),
    path("", include("mechanisms.org.urls")),
    path("", include("mechanisms.catalog.urls")),
]

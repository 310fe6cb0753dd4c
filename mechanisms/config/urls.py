from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from .api import api, bad_request, not_found, server_error


@require_GET
def healthz(request):
    """Liveness for load balancers; also the floor of bench/api_catalog.py (a bare Django JSON view)."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz),
    path("api/", api.urls),
    path("", include("mechanisms.web.urls")),
    path("", include("mechanisms.org.urls")),
    path("", include("mechanisms.catalog.urls")),
]

# Errors on /api/ paths are the JSON error body even when they happen outside the API (config/api.py).
handler400 = bad_request
handler404 = not_found
handler500 = server_error

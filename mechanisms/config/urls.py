from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from mechanisms.kernel.mounts import declared, url_patterns
from mechanisms.kernel.routing import indexed_include

from .api import api, bad_request, not_found, server_error


@require_GET
def healthz(request):
    """Liveness for load balancers; also the floor of bench/api_catalog.py (a bare Django JSON view)."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz),
    # The API's few hundred flat routes, indexed by their leading segments (kernel.routing: the same matches).
    indexed_include("api/", api.urls),
    # Every app's pages, as its AppConfig declares them, in the one page namespace "web" (kernel.mounts).
    path("", include((url_patterns(declared()), "web"))),
]

# Errors on /api/ paths are the JSON error body even when they happen outside the API (config/api.py).
handler400 = bad_request
handler404 = not_found
handler500 = server_error

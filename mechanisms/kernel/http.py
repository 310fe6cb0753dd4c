"""HTTP pieces shared by every entry point: the Content-Security-Policy header, the larger body limit of the import
endpoints, and the response every PDF door answers with (`download`). No rules of any mechanism."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse


class ContentSecurityPolicyMiddleware:
    """Sends `settings.MECH_CSP` (when set) on every response that has none of its own.

    Pages load htmx, Pico and the product's CSS from /static and run no inline script, so `script-src 'self'`
    holds; a few templates use inline style *attributes* (tree depth, graph width), hence
    `style-src-attr 'unsafe-inline'` while `<style>` elements stay refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "MECH_CSP", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class LargeImportBodyMiddleware:
    """Lets the paths in `settings.MECH_LARGE_BODY_PATHS` take bodies up to `settings.MECH_LARGE_BODY_MAX_BYTES`
    (the product's own export is 15 MB at 2,000 teams) while every other path keeps Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE. Django checks that limit only when `request.body` is first read, so the body of a
    large-import path within its own limit is read here first; anything larger is left to that check (a 413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        prefixes = tuple(getattr(settings, "MECH_LARGE_BODY_PATHS", ()))
        if prefixes and request.method == "POST" and request.path.startswith(prefixes):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if 0 < length <= int(getattr(settings, "MECH_LARGE_BODY_MAX_BYTES", 0)):
                request._body = request.read(length)  # what HttpRequest.body caches and returns
        return self.get_response(request)


def body_limit_for(path: str) -> int:
    """The body size limit in bytes that applies to `path`."""
    prefixes = tuple(getattr(settings, "MECH_LARGE_BODY_PATHS", ()))
    if prefixes and path.startswith(prefixes):
        return int(settings.MECH_LARGE_BODY_MAX_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def download(name: str, content: bytes) -> HttpResponse:
    """The HTTP response every PDF door (API and page) answers with: a download named `name`, never sniffed as
    anything else, never cached (it may be confidential)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name) or "document.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

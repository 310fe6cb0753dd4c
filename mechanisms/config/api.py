"""The one NinjaAPI: authentication, error mapping, and each app's router under /api/v1/."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from mechanisms.kernel.api import ORJSONRenderer
from mechanisms.kernel.errors import DomainError
from mechanisms.kernel.http import body_limit_for
from mechanisms.kernel.mounts import declared, load
from mechanisms.org import services as org_services


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; tokens are stored hashed (org.services.authenticate_token)."""

    def authenticate(self, request, token):
        actor = org_services.authenticate_token(secret=token)
        if actor is not None:
            request.actor = actor
        return actor


class SignedInSession(APIKeyCookie):
    """The browser session cookie; unsafe methods need the CSRF token as for any Django form."""

    param_name = "sessionid"

    def _get_key(self, request):
        # CSRF guards what a browser sends with its session cookie. Without the cookie there is nothing to forge,
        # and a caller with no (or a bad) token must hear 401 "sign in", not 403 "CSRF check failed".
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return request.actor
        return None


api = NinjaAPI(
    title="Mechanisms API",
    version="1",
    description="Every capability of Mechanisms. Authenticate with a session cookie or `Authorization: Bearer`.",
    auth=[BearerToken(), SignedInSession()],
    urls_namespace="api",
    renderer=ORJSONRenderer(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request, {"error": {"code": code, "message": message, "details": details}}, status=status
    )


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return api.create_response(request, {"error": exc.as_dict()}, status=exc.http_status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    problems = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        problems.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid")})
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return _error(request, 422, "invalid", message, {"field": first["field"], "problems": problems})


@api.exception_handler(IntegrityError)
def _integrity_error(request, exc: IntegrityError):
    # Services check uniqueness first; this only catches the race where two writers pass that check at once and
    # the database's unique constraint decides. One of them wins, the other gets 409, never a 500.
    return _error(request, 409, "conflict", "someone else wrote the same record at the same time; reload and retry")


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(request, 401, "unauthenticated", "sign in or send Authorization: Bearer <token>")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "no such resource")


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    limit = body_limit_for(request.path)
    return _error(request, 413, "too_large", f"the request body is larger than {limit} bytes", {"limit_bytes": limit})


logger = logging.getLogger("mechanisms.api")


@api.exception_handler(Exception)
def _server_error(request, exc: Exception):
    # A bug, never an answer: logged with its traceback, and the client still gets the JSON error body.
    logger.exception("unhandled error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error", "something went wrong on our side; it has been logged")


def _envelope(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status)


def server_error(request, *args, **kwargs):
    """handler500: the JSON error body on /api/ paths (an error outside the API's own handlers, e.g. in a
    middleware), the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return _envelope(500, "server_error", "something went wrong on our side; it has been logged")
    return defaults.server_error(request, *args, **kwargs)


def not_found(request, exception=None, *args, **kwargs):
    """handler404: an unknown /api/ path is the JSON error body too."""
    if request.path.startswith("/api/"):
        return _envelope(404, "not_found", "no such resource")
    return defaults.page_not_found(request, exception, *args, **kwargs)


def bad_request(request, exception=None, *args, **kwargs):
    """handler400: on /api/ paths (a body too large to read before the API runs, a malformed request) JSON."""
    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            limit = body_limit_for(request.path)
            return _envelope(413, "too_large", f"the request body is larger than {limit} bytes")
        return _envelope(400, "bad_request", "the request could not be read")
    return defaults.bad_request(request, exception, *args, **kwargs)


def _mount() -> None:
    """Every installed app's router under /api/v1/, as its AppConfig declares it (kernel.mounts)."""
    for _, mounts in declared():
        if mounts.api:
            api.add_router("/v1/", load(mounts.api))


_mount()

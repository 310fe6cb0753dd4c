"""Django settings. Development defaults on one machine; production through environment variables."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("MECH_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("MECH_DEBUG", "0") == "1"
ENVIRONMENT = os.environ.get("MECH_ENV", "development")
ENVIRONMENTS = ("development", "production")
if ENVIRONMENT not in ENVIRONMENTS:
    # A typo such as "prod" must not start a server with development's insecure defaults.
    raise ImproperlyConfigured(f"MECH_ENV must be one of {', '.join(ENVIRONMENTS)}, not {ENVIRONMENT!r}")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if ENVIRONMENT != "development":
        raise ImproperlyConfigured(f"SECRET_KEY must be set outside development (MECH_ENV={ENVIRONMENT})")
    SECRET_KEY = "dev-only-insecure-key-change-me-in-production-please-0123456789"

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its templates and static Swagger UI files: /api/docs loads with no network (no CDN)
    "mechanisms.audit",
    "mechanisms.org",
    "mechanisms.notifications",
    "mechanisms.catalog",
    "mechanisms.documents",
    "mechanisms.bar_raisers",
    "mechanisms.metrics",
    "mechanisms.mandate",
    "mechanisms.away_teams",
    "mechanisms.hiring",
    "mechanisms.working_backwards",
    "mechanisms.decisions",
    "mechanisms.experiments",
    "mechanisms.corrections",
    "mechanisms.workflows",
    "mechanisms.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mechanisms.kernel.http.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mechanisms.kernel.correlation.CorrelationMiddleware",
    "mechanisms.kernel.http.LargeImportBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mechanisms.web.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mechanisms.config.urls"
WSGI_APPLICATION = "mechanisms.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mechanisms.web.context.navigation",
            ],
            "builtins": ["mechanisms.web.templatetags.mech"],
        },
    }
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'mechanisms.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Concurrent writers queue on IMMEDIATE transactions instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = None
    # Tests run on a file database, as served (not Django's in-memory default, one shared cache whose table locks
    # the busy timeout does not cover): WAL and the busy timeout above apply, so the two-thread race tests run
    # here too. One file per process (pytest-django adds the xdist worker's suffix) in the temporary folder, or
    # MECH_TEST_SQLITE.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("MECH_TEST_SQLITE")
        or str(Path(tempfile.gettempdir()) / f"mechanisms-test-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
LOGIN_URL = "/signin"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start when it is missing
# Front-end packages come from the npm registry at setup time (package.json); never committed.
_NODE = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/pico", _NODE / "@picocss" / "pico" / "css"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
# Uploaded files (candidates' résumés) live here, under random keys; nothing under it is ever served as static: a
# résumé is read only through its policy-checked download (hiring).
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# S3-compatible storage for uploaded files (docs/deploy.md): with MECH_S3_BUCKET set, résumés and attachments go to
# that bucket through django-storages (the optional extra `s3`), still under random keys and served only through
# their owners' checked downloads (the bucket must not be public; no URL of it is ever handed out).
if os.environ.get("MECH_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["MECH_S3_BUCKET"],
            "endpoint_url": os.environ.get("MECH_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("MECH_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("MECH_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("MECH_S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Request bodies: Django's 2.5 MB everywhere, except the import endpoints, which take the product's own export
# (15 MB at 2,000 teams) with room to grow. Larger is a 413 with the JSON error body.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MECH_LARGE_BODY_PATHS = ("/api/v1/imports/",)
MECH_LARGE_BODY_MAX_BYTES = int(os.environ.get("MECH_IMPORT_MAX_BYTES", str(64 * 1024 * 1024)))

# Content-Security-Policy (sent in production; kernel.http.ContentSecurityPolicyMiddleware): everything from this
# origin, no inline or foreign script; inline style attributes are used by a few templates; Pico's icons are data:
# SVG images.
MECH_CSP = os.environ.get(
    "MECH_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
    if ENVIRONMENT == "production"
    else "",
)

if ENVIRONMENT == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Shown on the sign-in page of a demo install (set by scripts/start).
MECH_DEMO_HINT = os.environ.get("MECH_DEMO_HINT") or None

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mechanisms@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))

# Notifications: links in emails and chat posts start with MECH_BASE_URL; MECH_CHAT_WEBHOOK_URL (Slack-compatible,
# empty = off) is the organization's chat channel. Deliveries are sent after the commit from a thread ("thread"),
# in the request ("inline", tests), queued for the worker ("task") or only by the worker's minutely run ("off");
# retries back off from 60 s.
MECH_BASE_URL = os.environ.get("MECH_BASE_URL", "http://127.0.0.1:8000")
MECH_CHAT_WEBHOOK_URL = os.environ.get("MECH_CHAT_WEBHOOK_URL", "")
# Hosts a person's own chat webhook may point to (comma-separated); the org-wide webhook's host is always allowed.
MECH_CHAT_WEBHOOK_HOSTS = [
    h.strip()
    for h in os.environ.get("MECH_CHAT_WEBHOOK_HOSTS", "hooks.slack.com,chat.googleapis.com").split(",")
    if h.strip()
] + ([urlsplit(MECH_CHAT_WEBHOOK_URL).hostname] if MECH_CHAT_WEBHOOK_URL else [])
NOTIFICATIONS_DISPATCH = os.environ.get("MECH_NOTIFICATIONS_DISPATCH", "thread")
NOTIFICATIONS_RETRY_SECONDS = int(os.environ.get("MECH_NOTIFICATIONS_RETRY_SECONDS", "60"))

# Background work (docs/worker.md): tasks are rows in this database, run by `mech worker` beside the server; no
# broker. The id function lets a periodic run claim its period once across workers (kernel.schedule).
# MECH_TASKS_BACKEND=immediate runs each task at once in the caller's process (tests, a one-off script).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "OPTIONS": {"id_function": "mechanisms.kernel.schedule.task_id"},
    }
}
if os.environ.get("MECH_TASKS_BACKEND") == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Product defaults an administrator can change (MECHANISMS.md: every number is a default).
MECHANISMS = {
    "TEAM_SIZE_TARGET": int(os.environ.get("MECH_TEAM_SIZE_TARGET", "6")),
    "TEAM_SIZE_WARNING_ABOVE": int(os.environ.get("MECH_TEAM_SIZE_WARNING_ABOVE", "8")),
    "TEAM_SIZE_VIOLATION_ABOVE": int(os.environ.get("MECH_TEAM_SIZE_VIOLATION_ABOVE", "10")),
    # Away Teams (MECHANISMS.md §3): the home team answers within this many working days; the requesting team
    # stays on call this many days after the hand-off.
    "AWAY_TEAM_RESPONSE_DAYS": int(os.environ.get("MECH_AWAY_TEAM_RESPONSE_DAYS", "5")),
    "AWAY_TEAM_WARRANTY_DAYS": int(os.environ.get("MECH_AWAY_TEAM_WARRANTY_DAYS", "30")),
    # A late answer is escalated to the next manager up the home leader's chain after this many days, and again
    # after each such span (notifications' deadlines helper); 0 turns escalation off.
    "AWAY_TEAM_ESCALATE_AFTER_DAYS": int(os.environ.get("MECH_AWAY_TEAM_ESCALATE_AFTER_DAYS", "5")),
    # Hiring (MECHANISMS.md §5): the largest résumé file accepted, in bytes (5 MiB).
    "RESUME_MAX_BYTES": int(os.environ.get("MECH_RESUME_MAX_BYTES", str(5 * 1024 * 1024))),
    # Documents (issue 11): the largest attachment accepted (a mockup, an image, a PDF), in bytes (10 MiB).
    "ATTACHMENT_MAX_BYTES": int(os.environ.get("MECH_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
    # Interview feedback is due this many hours after the interview ends; late feedback is reminded every day and
    # climbs the interviewer's management chain one level per FEEDBACK_ESCALATE_AFTER_HOURS (0: never).
    "FEEDBACK_DUE_HOURS": int(os.environ.get("MECH_FEEDBACK_DUE_HOURS", "24")),
    "FEEDBACK_ESCALATE_AFTER_HOURS": int(os.environ.get("MECH_FEEDBACK_ESCALATE_AFTER_HOURS", "24")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Metrics, data (docs/deploy.md): the connections SQL pulls run on, by name. Each has an engine (duckdb: a database
# file opened read-only; postgresql: a dsn, run in a read-only transaction with a statement timeout). The default is
# an embedded DuckDB file in var/; MECH_METRICS_CONNECTIONS (JSON) replaces the table.
MECH_METRICS_CONNECTIONS = {"default": {"engine": "duckdb", "path": str(VAR_DIR / "metrics.duckdb")}}
if os.environ.get("MECH_METRICS_CONNECTIONS"):
    import json as _json

    MECH_METRICS_CONNECTIONS = _json.loads(os.environ["MECH_METRICS_CONNECTIONS"])
# Metrics (docs/metrics.md): the company's calendar. Weeks end on MECH_WEEK_ENDS_ON (0 Monday .. 6 Sunday; Saturday,
# as in wbr-app) and the fiscal year ends with the month MECH_FISCAL_YEAR_END_MONTH. New decks start from them (a deck
# may differ); goals' progress and the completeness check of a metric in no deck use them.
MECH_WEEK_ENDS_ON = int(os.environ.get("MECH_WEEK_ENDS_ON", "5"))
MECH_FISCAL_YEAR_END_MONTH = int(os.environ.get("MECH_FISCAL_YEAR_END_MONTH", "12"))
# A CSV of values may be large (50,000 rows is about 1.5 MB; a year of 300 metrics, wide, more).
MECH_LARGE_BODY_PATHS = (*MECH_LARGE_BODY_PATHS, "/api/v1/metric-loads")

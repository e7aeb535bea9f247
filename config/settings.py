"""Project settings, read from the environment (django-environ).

With nothing set the app runs locally on SQLite with DEBUG on. Production sets at least
DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL. Every variable is
listed in README.md and .env.example.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# The fallback key is for local development only; production must set DJANGO_SECRET_KEY.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-local-development-only-key" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # modeltranslation must come before the admin so that it can patch translated fields into it.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served by us, no CDN
    "axes",  # failed staff logins, counted in the database
    "core",
    # Background work: Django's tasks API (the backport on 5.2) and its database backend's table.
    "django_tasks",
    "django_tasks_db",
    "locations",
    "participants",
    "appointments",
    "availability",
    "invitations",
    "notifications",
]

MIDDLEWARE = [
    "core.middleware.CorrelationIdMiddleware",
    # API paths: 413 before a too-large body is read.
    "core.middleware.ApiBodySizeLimitMiddleware",
    "core.middleware.NoNulCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, API docs) straight from gunicorn: no separate file server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: answers a locked-out login (see AXES_* below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Workers write at once (rate-limit counters, failed staff logins). A transaction takes
    # SQLite's write lock as it begins, waiting for it, rather than failing with "database is
    # locked" when a read inside it turns into a write.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # PostgreSQL spent most of an invite's statements planning them. psycopg prepares a statement
    # that runs five times, when parameters are bound server-side; the backend splits bulk
    # statements below the 65,535 parameters that binding allows. Behind a connection pooler
    # without prepared-statement support (PgBouncer before 1.21), turn this off.
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, from the start of each transaction: a booking's re-check and its
    # write cannot interleave with another's (PostgreSQL uses row locks and constraints instead).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation. The ten API languages; Django stores Norwegian as "nb" and the API speaks
# "no" (see core/languages.py for the mapping).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("da", "Dansk"),
    ("de", "Deutsch"),
    ("el", "Ελληνικά"),
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("ja", "日本語"),
    ("nl", "Nederlands"),
    ("nb", "Norsk"),
    ("pl", "Polski"),
]
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
# Translated fields are stored per language and never silently filled from another language:
# the API decides fallbacks itself from Accept-Language.
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ()}
# Our translations (the customer's pages and the messages sent to customers and staff):
# locale/<language>/LC_MESSAGES/django.po in the repository, compiled by `make install`.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_URL = "/accounts/login/"

# Staff logins (the back office's and the admin's): after AXES_FAILURE_LIMIT wrong passwords for a
# username, or from an address, further attempts are refused with 429 for AXES_COOLOFF_MINUTES,
# the right password included. Attempts are counted in the database, so every app server agrees.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["participants.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.parsers.ExactContentTypeNegotiation",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # Errors of array items keyed by index (the only format from DRF 3.20 on).
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # OPTIONS answers 405: DRF's metadata introspection needs a serializer our views don't have.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ApiClientRateThrottle"],
}

SCOPE_READ_WRITE = "engage:appointments:readWrite"
SCOPE_READ_ONLY = "engage:appointments:readOnly"
OAUTH2_PROVIDER_APPLICATION_MODEL = "participants.ApiClient"
OAUTH2_PROVIDER = {
    "SCOPES": {
        SCOPE_READ_WRITE: "Create, book, change and read appointments",
        SCOPE_READ_ONLY: "Read appointments",
    },
    "DEFAULT_SCOPES": [SCOPE_READ_ONLY],
    # Each API client may only be granted the scopes it was registered with.
    "SCOPES_BACKEND_CLASS": "participants.oauth.ApiClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "participants.authentication.EnterpriseTokenValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
}

# Video meetings get one link per participant under this base URL.
VIDEO_BASE_URL = env("VIDEO_BASE_URL", default="https://video.example.com/")

# The customer's side. Links in messages are absolute: PUBLIC_BASE_URL is where customers reach
# this service (`make run` sets it from HOST and PORT). A link works INVITE_LINK_TTL days.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
INVITE_LINK_TTL = timedelta(days=env.int("INVITE_LINK_TTL", default=30))
# On their pages customers may move or cancel a booking until CUSTOMER_CHANGE_CUTOFF hours before
# its start; after that the page tells them whom to contact.
CUSTOMER_CHANGE_CUTOFF = timedelta(hours=env.int("CUSTOMER_CHANGE_CUTOFF", default=24))

# --- Background work -------------------------------------------------------------------------------
# Jobs run on Django's tasks API. TASKS_BACKEND "database" (the default): jobs are rows in this
# database, run by `manage.py db_worker`. "rq": jobs go to Redis (REDIS_URL, or RQ_QUEUES as JSON in
# django-rq's format), run by `manage.py rqworker --with-scheduler`, on any number of machines.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
    RQ_QUEUES = env.json("RQ_QUEUES", default={"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}})
    # django-tasks-rq's job class runs the tasks; a worker that does not fork keeps its database
    # connection from one job to the next.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job", "WORKER_CLASS": "rq.worker.SimpleWorker"}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    raise environ.ImproperlyConfigured("TASKS_BACKEND must be 'database' or 'rq'")

# --- Messages (notifications/) ---------------------------------------------------------------------
# Mail goes through Django's e-mail backends, chosen by EMAIL_URL (django-environ): smtp://user:
# password@host:587 (smtp+tls://, smtp+ssl://), consolemail:// (the default: printed on the
# worker's console), memorymail://, dummymail://.
vars().update({name: value for name, value in env.email_url("EMAIL_URL", default="consolemail://").items() if value is not None})
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Invites <invites@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# Customers get a reminder this many hours before an accepted appointment starts (0: none); the
# sweep (`manage.py send_due_messages`, every minute) writes and sends it.
REMINDER_BEFORE = timedelta(hours=env.float("REMINDER_BEFORE", default=24))
# A message that could not be sent is tried again after MESSAGE_RETRY_BASE seconds, doubling each
# time up to MESSAGE_RETRY_MAX, and given up (FAILED) after MESSAGE_MAX_ATTEMPTS attempts (about a
# day with the defaults).
MESSAGE_RETRY_BASE = env.int("MESSAGE_RETRY_BASE", default=30)
MESSAGE_RETRY_MAX = env.int("MESSAGE_RETRY_MAX", default=3600)
MESSAGE_MAX_ATTEMPTS = env.int("MESSAGE_MAX_ATTEMPTS", default=30)
# Seconds a worker holds a message it is sending. Past that, its worker is taken for dead, and the
# message, which may have been sent, is marked UNCERTAIN instead of being sent again. Keep it well
# above EMAIL_TIMEOUT.
MESSAGE_SEND_LEASE = env.int("MESSAGE_SEND_LEASE", default=300)
# How often RQ's own scheduler (`manage.py rqcron notifications.cron`) runs the sweep, in seconds.
MESSAGE_SWEEP_INTERVAL = env.int("MESSAGE_SWEEP_INTERVAL", default=60)

# --- Geocoding -----------------------------------------------------------------------------------
# GEOCODER is "offline" (the embedded GeoNames gazetteer, city level, no network) or names any
# geopy service ("nominatim", "photon", "googlev3", ...); its options come from GEOCODER_OPTIONS
# (JSON) plus the common ones below.
GEOCODER = env("GEOCODER", default="offline")
GEOCODER_DOMAIN = env("GEOCODER_DOMAIN", default="")
GEOCODER_SCHEME = env("GEOCODER_SCHEME", default="https")
GEOCODER_USER_AGENT = env("GEOCODER_USER_AGENT", default="invites-service")
GEOCODER_API_KEY = env("GEOCODER_API_KEY", default="")
GEOCODER_TIMEOUT = env.float("GEOCODER_TIMEOUT", default=5.0)
GEOCODER_OPTIONS = env.json("GEOCODER_OPTIONS", default={})
# Seconds a client is told to wait (Retry-After) when the geocoder is unavailable.
GEOCODER_RETRY_AFTER = env.int("GEOCODER_RETRY_AFTER", default=30)
# The offline gazetteer's SQLite index is built into this directory once (make migrate, or lazily).
GEOCODER_OFFLINE_DIR = env("GEOCODER_OFFLINE_DIR", default=str(BASE_DIR / "var"))
# Network providers: at least this many seconds between two requests of one process (Nominatim's
# public service allows 1 per second), and how long answers stay in the shared database cache.
GEOCODER_MIN_DELAY = env.float("GEOCODER_MIN_DELAY", default=1.0)
GEOCODER_CACHE_TTL = env.int("GEOCODER_CACHE_TTL", default=90 * 24 * 3600)
GEOCODER_CACHE_NEGATIVE_TTL = env.int("GEOCODER_CACHE_NEGATIVE_TTL", default=24 * 3600)

# --- Logging -------------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
# "json": one JSON object per line (for log shippers); "plain": human-readable lines.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("json", "plain"):
    raise environ.ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation_id": {"()": "core.log.CorrelationIdFilter"},
        "skip_logged_api_responses": {"()": "core.log.SkipLoggedApiResponses"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {"asctime": "timestamp", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["correlation_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"filters": ["skip_logged_api_responses"]},
    },
}

# --- Back office (staff pages, admin) -------------------------------------------------------------
# Our own stylesheet and scripts live in static/ and are served by WhiteNoise (no CDN: machines may
# have no internet). In DEBUG WhiteNoise serves straight from the finders; production runs
# collectstatic into STATIC_ROOT. modeltranslation reads JQUERY_UI_URL (its default is a CDN).
import xstatic.pkg.jquery_ui  # noqa: E402

STATICFILES_DIRS = [BASE_DIR / "static", ("jquery-ui", xstatic.pkg.jquery_ui.BASE_DIR)]
JQUERY_UI_URL = "jquery-ui/jquery-ui.min.js"
LOGIN_REDIRECT_URL = "/backoffice/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
PRODUCT_NAME = "Invites"

# --- API schema, limits and production hardening ----------------------------------------------
# API request bodies above this many bytes are refused with 413 (form posts, through Django, with 400).
API_MAX_BODY_SIZE = env.int("API_MAX_BODY_SIZE", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_SIZE
# JSON nested deeper than this is refused with 400 MALFORMED_JSON (the invite body needs 5).
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
# Requests per API client (DRF rate syntax: N/second|minute|hour|day); 429 with Retry-After above.
API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="3000/min")
# Token requests per client id and address (each checks a hashed secret); 429 with Retry-After above.
TOKEN_THROTTLE_RATE = env.str("TOKEN_THROTTLE_RATE", default="20/min")
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Rate-limit counters must be shared by every worker and app server, or each would count on its
# own. With CACHE_URL naming Redis or Memcached they live there (an atomic increment, no SQL);
# otherwise in the database (core.RateLimitCounter, one UPDATE per request). The test suite counts
# in its own memory (tests/conftest.py).
RATE_LIMIT_CACHE = "default" if CACHES["default"]["BACKEND"].endswith(("RedisCache", "PyMemcacheCache", "PyLibMCCache")) else None
# Seconds each app process remembers an API token it has looked up (0: look every token up). A
# token revoked, or a client or enterprise changed, takes effect at once in the process that did
# it and within this time in the others; expiry and scopes are checked on every request.
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=5)
CACHES["tokens"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "api-tokens",
    "TIMEOUT": API_TOKEN_CACHE_SECONDS,
    "OPTIONS": {"MAX_ENTRIES": 4096},
}
# Idempotency-Key: how long a key is remembered, and after how long a request that holds a key
# but never finished (its worker died) is considered abandoned.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=60)
# Seconds a client is told to wait (Retry-After) when the database is unreachable.
DATABASE_RETRY_AFTER = env.int("DATABASE_RETRY_AFTER", default=5)

# HTTPS and security headers. Defaults are strict when DEBUG is off; behind a reverse proxy that
# terminates TLS, the proxy must set X-Forwarded-Proto (see README "Deployment").
# Trust X-Forwarded-Proto only when told to: a client could forge it if nothing strips it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe the health check over plain HTTP: don't redirect it.
SECURE_REDIRECT_EXEMPT = [r"^api/health$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# WhiteNoise serves STATIC_ROOT (filled by collectstatic); in development straight from the apps.
WHITENOISE_USE_FINDERS = DEBUG

# OAuth 2.0 Security BCP (RFC 9700), which the deploy checks ask for. Only the client-credentials
# grant is used; tokens are stored as checksums only, and never accepted in a query string.
OAUTH2_PROVIDER.update(
    {
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
        "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
        "REFRESH_TOKEN_REUSE_PROTECTION": True,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    }
)

SPECTACULAR_SETTINGS = {
    "TITLE": "Invites API",
    "DESCRIPTION": (
        "Create appointment invites, offer their free times, book and change appointments, and read "
        "them. Every non-2xx response is the error "
        "envelope `{\"errors\": [...]}`; the codes each status can carry are listed in its schema. "
        "No string may hold a NUL character or a lone surrogate (400)."
    ),
    "VERSION": "1.0.0",
    "LICENSE": {"name": "MIT", "identifier": "MIT"},
    "CONTACT": {"name": "The Invites maintainers"},
    # Relative: the server that serves the schema serves the API.
    "SERVERS": [{"url": "/", "description": "This server"}],
    # 3.1: nullable references ("location": null) are expressible; in 3.0 they are not.
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "OAUTH2_FLOWS": ["clientCredentials"],
    "OAUTH2_TOKEN_URL": "/o/token/",
    "OAUTH2_SCOPES": OAUTH2_PROVIDER["SCOPES"],
    # Named enums for choice sets used under several property names.
    "ENUM_NAME_OVERRIDES": {
        "ActorTypeEnum": "appointments.models.Appointment.ActorType",
        "ChannelEnum": "appointments.models.Appointment.Channel",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_envelopes",
        "appointments.api.schema.add_links",
    ],
}

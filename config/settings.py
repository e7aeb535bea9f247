"""Project settings, read from the environment (django-environ).

With nothing set the app runs locally on SQLite with DEBUG on. Production sets at least
DJANGO_DEBUG=false, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL. Every variable is
listed in README.md and .env.example.
"""

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
    "locations",
    "participants",
    "appointments",
    "bench",
]

MIDDLEWARE = [
    "config.middleware.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation. The ten API languages; Django stores Norwegian as "nb" and the API speaks
# "no" (see locations/languages.py for the mapping).
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
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_URL = "/accounts/login/"

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oauth2_provider.contrib.rest_framework.OAuth2Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # Errors of array items keyed by index (the only format from DRF 3.20 on).
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
}

SCOPE_READ_WRITE = "engage:appointments:readWrite"
SCOPE_READ_ONLY = "engage:appointments:readOnly"
OAUTH2_PROVIDER_APPLICATION_MODEL = "participants.ApiClient"
OAUTH2_PROVIDER = {
    "SCOPES": {
        SCOPE_READ_WRITE: "Create and read appointments",
        SCOPE_READ_ONLY: "Read appointments",
    },
    "DEFAULT_SCOPES": [SCOPE_READ_ONLY],
    # Each API client may only be granted the scopes it was registered with.
    "SCOPES_BACKEND_CLASS": "participants.oauth.ApiClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
}

# The benchmark baseline endpoint (bench/). Only `make bench` turns it on; never in production.
BENCHMARK_ENDPOINTS = env.bool("BENCHMARK_ENDPOINTS", default=False)

# Video meetings get one link per participant under this base URL.
VIDEO_BASE_URL = env("VIDEO_BASE_URL", default="https://video.example.com/")

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
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "correlation_id": {"()": "config.log.CorrelationIdFilter"},
        "skip_logged_api_responses": {"()": "config.log.SkipLoggedApiResponses"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["correlation_id"]},
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

MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware")
STATICFILES_DIRS = [BASE_DIR / "static", ("jquery-ui", xstatic.pkg.jquery_ui.BASE_DIR)]
JQUERY_UI_URL = "jquery-ui/jquery-ui.min.js"
LOGIN_REDIRECT_URL = "/backoffice/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
PRODUCT_NAME = "Invites"

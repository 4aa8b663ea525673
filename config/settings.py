"""Baton settings, read from the environment (12-factor).

Django's own and the libraries' settings are here; Baton's own settings and
sign-in protection have modules of their own in ``config/settings_parts/``.

Defaults are the embedded ones used by ``make run``: SQLite under ``var/`` and a
SQLite-backed huey. Production sets ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``,
``SECRET_KEY``, ``DEBUG=0`` and ``ALLOWED_HOSTS``.
"""

from pathlib import Path

from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .settings_parts.baton import *  # noqa: F403 — BATON_* (signatures … access)
from .settings_parts.environment import BASE_DIR, VAR_DIR, env
from .settings_parts.observability import *  # noqa: F403 — logs, metrics, Sentry
from .settings_parts.sign_in import *  # noqa: F403 — axes, knox, proxies
from .settings_parts.sign_in import BATON_TRUSTED_PROXIES
from .settings_parts.sso_im import *  # noqa: F403 — Feishu, DingTalk, WeCom sign-in
from .settings_parts.storage import *  # noqa: F403 — files on disk or S3, backups

DEBUG = env("DEBUG")
if DEBUG:
    # A development key only: with DEBUG off the key must come from the environment.
    SECRET_KEY = env.str(
        "SECRET_KEY", default="baton-development-key-not-for-production"
    )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Set SECRET_KEY (at least 32 random characters) when DEBUG is off: "
            + ("it is too short. " if SECRET_KEY else "it is not set. ")
            + "Make one with: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))' (docs/deploy.md)."
        )
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "checklist_blocks",
    "cms",
    "connectors",
    "reports",
    "wagtail.contrib.forms",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "huey.contrib.djhuey",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # First: every log line and response has a request id; every response is
    # counted (docs/observability.md).
    "cms.observability.middleware.RequestIdMiddleware",
    "cms.observability.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a lockout into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "reports.context_processors.team_reports",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'baton.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# PostgreSQL's JIT compiles the dashboard's aggregates (their estimated cost
# passes its threshold) and spends longer compiling than running them: off for
# Baton's short queries (docs/performance.md, rows 9a).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in while the user or client address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
from .settings_parts.sso import *  # noqa: E402, F403 — company sign-in, its backends

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"

# Internationalisation: English and Simplified Chinese everywhere.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# The admin speaks a user's profile language, else the browser's (or the
# sign-in page's language switch, kept in Django's language cookie for a year).
# config/locale comes before every app's catalogue: it also holds the Chinese
# of the Wagtail strings Wagtail's own zh-Hans catalogue lacks
# (config/wagtail_zh_hans.py).
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    # "default" (and, on S3, "private"): config/settings_parts/storage.py.
    **BATON_FILE_STORAGES,  # noqa: F405
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Email: console by default, SMTP when EMAIL_URL is set (smtp://user:pass@host:587).
vars().update(env.email("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Baton <baton@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security. With DEBUG off these are the production defaults; a TLS-terminating
# proxy must set X-Forwarded-Proto.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env("SECURE_HSTS_SECONDS")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Content-Security-Policy (django-csp 4, config/csp.py) on every response: only
# Baton's own origin, no plugins, no inline scripts or styles outside the
# Wagtail admin (a nonce where a template needs one), frames only from Baton
# (Wagtail's live preview), forms post only to Baton.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "config.csp.ContentSecurityPolicyMiddleware",
)
_CSP_MEDIA = [MEDIA_URL] if MEDIA_URL.startswith(("https://", "http://")) else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        # data: for the inline favicon and the SVG icons stylesheets embed;
        # blob: for Wagtail's image previews before upload.
        "img-src": [csp.SELF, "data:", "blob:", *_CSP_MEDIA],
        "media-src": [csp.SELF, *_CSP_MEDIA],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "frame-src": [csp.SELF],
        "frame-ancestors": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
    },
}
# What the Wagtail admin needs on top (see config/csp.py for why): inline
# initialisation scripts of its widgets and inline styles; still no eval.
BATON_CSP_ADMIN_PREFIXES = ["/admin/"]
BATON_CSP_ADMIN_DIRECTIVES = {
    "script-src": [csp.SELF, csp.UNSAFE_INLINE],
    "style-src": [csp.SELF, csp.UNSAFE_INLINE],
}
# Submitting a domain to the browsers' HSTS preload list is an operator's decision
# about the whole domain, not something an application should default to.
# Wagtail's live preview shows the page in a same-origin frame, so frames stay
# allowed from our own origin (X_FRAME_OPTIONS = "SAMEORIGIN" above).
SILENCED_SYSTEM_CHECKS = ["security.W021", "security.W019"]

# Wagtail
WAGTAIL_SITE_NAME = "Baton"
WAGTAILADMIN_BASE_URL = env.str("BATON_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL
WAGTAILAPI_LIMIT_MAX = 100
# Baton runs on company networks, often without access to the internet: no
# avatars fetched from Gravatar (which would also send a hash of each user's
# email address abroad), and no update check against wagtail.org.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Django REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cms.auth.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "cms.api.pagination.Pagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cms.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Baton API",
    "DESCRIPTION": "Offboarding handovers: templates, block kinds and handovers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The deploy check would generate a schema for every DRF view, Wagtail's own
    # admin endpoints included; Baton's schema (api/v1 only) is checked by tests.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# django-guardian: no anonymous user row, object permissions only for real users.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# huey: Redis when REDIS_URL is set, otherwise a SQLite file under var/.
REDIS_URL = env.str("REDIS_URL", default="")
HUEY = {
    # Consumers sharing one Redis must share the name; tests use their own.
    "name": env.str("HUEY_NAME", default="baton"),
    "immediate": env.bool("HUEY_IMMEDIATE", default=False),
    # Periodic tasks follow the company's clock: Django sets the process time zone
    # to TIME_ZONE, so "08:00" means 08:00 where the company is.
    "utc": False,
    "consumer": {
        "workers": env.int("HUEY_WORKERS", default=2),
        "worker_type": "thread",
    },
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "connection": {"url": REDIS_URL}})
else:
    HUEY.update(
        {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")}
    )

# LOGGING: config/settings_parts/observability.py (LOG_FORMAT text or json).

# Sign-in protection and API tokens: config/settings_parts/sign_in.py.
REST_FRAMEWORK["NUM_PROXIES"] = BATON_TRUSTED_PROXIES

# API errors and ids (issue 14): every error under /api/ is the API's JSON body,
# Django's own pages included (cms.api.errors); the schema lists the errors each
# operation can answer with, and path ids (<id:…>) are integers 1 … 2^63-1.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "cms.api.errors.JsonApiErrorsMiddleware",
)
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "cms.api.errors.document_error_responses",
]
SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"] = {
    "id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
}

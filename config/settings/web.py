"""Django itself: the apps, middleware, templates, sign-in, static files and HTTP security."""

from pathlib import Path

from django.templatetags.static import static

from config import environment
from config.settings.base import BASE_DIR, ENVIRONMENT, IS_PRODUCTION, env
from config.settings.sandbox import SANDBOX_ENABLED

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
    # The admin theme; before the admin so its templates win. BasicAppConfig leaves the admin
    # site to PlatformAdminConfig (unfold's default config would replace it at start-up).
    "unfold.apps.BasicAppConfig",
    "config.admin.PlatformAdminConfig",  # django.contrib.admin, with the composed model admins
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
    "apps.scheduling",
    "apps.observability",
    "apps.servers",
    "apps.projects",
    "apps.monitoring",
    "apps.provisioning",
    "apps.jobs",
    "apps.mcp_server",
    "apps.assistant",
]
# The sandbox, its migrations and its tables exist only where it is served: never in production.
if SANDBOX_ENABLED:
    INSTALLED_APPS.append("apps.sandbox")
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

# --- Auth, i18n, static -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["config.formats"]  # times to the second, with their zone
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

# --- The console (django-unfold) ---------------------------------------------------------
# Where a login with no "next" lands (unfold's login form sends none): the console, not
# Django's default /accounts/profile/, which nothing serves.
LOGIN_REDIRECT_URL = "admin:index"
UNFOLD = {
    "SITE_TITLE": "Fleet console",
    "SITE_HEADER": "Fleet",
    "SITE_SUBHEADER": "Servers, runs and jobs",
    "SITE_SYMBOL": "dns",
    # A favicon of its own: browsers stop asking for /favicon.ico, which nothing serves.
    "SITE_FAVICONS": [{"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("console/favicon.svg")}],
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "apps.core.admin_navigation.environment_badge",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "apps.core.admin_navigation.sidebar_navigation",
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

"""The REST API: authentication, permissions, parsers, throttles, tokens and the OpenAPI schema."""

from config.settings.base import IS_PRODUCTION, env

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
        "JobHostStatusEnum": "apps.jobs.choices.HostStatus",
        "JobLaunchedByEnum": "apps.jobs.choices.LaunchedBy",
        "JobNotifyOnEnum": "apps.jobs.choices.NotifyOn",
        "JobRelaunchHostsEnum": "apps.jobs.choices.RelaunchHosts",
        "AuditActionEnum": "apps.audit.choices.AuditAction",
        "AuditOutcomeEnum": "apps.audit.choices.AuditOutcome",
        "ActorKindEnum": "apps.audit.choices.ActorKind",
        "WorkerStatusEnum": "apps.scheduling.choices.WorkerStatus",
    },
    # Swagger UI's assets are served by the platform itself: no CDN needed.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

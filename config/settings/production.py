"""The production guard: refuses to start while any value is unsafe (config/environment.py's rules).

Imported last, once every value it checks is set.
"""

from django.core.exceptions import ImproperlyConfigured

from config import environment
from config.settings.api import (
    API_LOGIN_TOKEN_TTL_HOURS,
    API_LOGIN_TOKENS_PER_USER,
    API_MAX_JSON_DEPTH,
    API_TOKEN_DEFAULT_TTL_DAYS,
    API_TOKEN_MAX_TTL_DAYS,
    REST_FRAMEWORK,
)
from config.settings.base import IS_PRODUCTION
from config.settings.celery import CELERY_BROKER_URL
from config.settings.data import CACHE_URL, DATABASE_URL, FIELD_ENCRYPTION_KEYS
from config.settings.operations import METRICS_ALLOWED_NETWORKS, METRICS_TOKEN
from config.settings.web import ALLOWED_HOSTS, CORS_ALLOWED_ORIGINS, DEBUG, SECRET_KEY

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

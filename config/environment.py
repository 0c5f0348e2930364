"""Rules that a production environment must satisfy before the platform starts.

Kept apart from settings.py so the rules are plain functions over the parsed values:
settings.py applies them at import time, and the tests call them directly.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "test", "production")

# Values that ship in the repository (development defaults, .env.example, compose.yaml).
# Anyone can read them, so production must never run with one of them.
DEVELOPMENT_SECRET_KEY = "development-only-insecure-secret-key-never-use-in-production-0123456789"  # noqa: S105 (published on purpose, refused in production)
DEVELOPMENT_FIELD_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXktMDAwMDA="
KNOWN_PLACEHOLDER_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "change-me",
        "changeme",
        "secret",
        "django-insecure",
        "replace-with-a-long-random-string-of-at-least-50-characters-0123456789",
    }
)
KNOWN_PLACEHOLDER_FIELD_KEYS = frozenset({DEVELOPMENT_FIELD_ENCRYPTION_KEY})
MIN_SECRET_KEY_LENGTH = 50
PRODUCTION_BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps")
PRODUCTION_DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")
MIN_METRICS_TOKEN_LENGTH = 32


def fernet_key_problem(key: str) -> str | None:
    """Return why `key` is not a Fernet key (32 url-safe base64 bytes), or None if it is."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "is not url-safe base64"
    if len(raw) != 32:
        return f"decodes to {len(raw)} bytes, a Fernet key has 32"
    return None


def field_encryption_keys_problems(keys: Iterable[str]) -> list[str]:
    keys = list(keys)
    if not keys:
        return ["FIELD_ENCRYPTION_KEYS is missing: set one or more Fernet keys, newest first"]
    problems = []
    for position, key in enumerate(keys, start=1):
        problem = fernet_key_problem(key)
        if problem:
            problems.append(f"FIELD_ENCRYPTION_KEYS key #{position} {problem}")
    if len(set(keys)) != len(keys):
        problems.append("FIELD_ENCRYPTION_KEYS lists the same key twice")
    return problems


def _scheme(url: str) -> str:
    return urlsplit(url).scheme.lower() if url else ""


def production_problems(
    *,
    secret_key: str,
    debug: bool,
    allowed_hosts: list[str],
    database_url: str,
    broker_url: str,
    cache_url: str,
    field_encryption_keys: list[str],
    cors_allowed_origins: list[str],
) -> list[str]:
    """Every reason the given values are unsafe for production; empty when they are fine."""
    problems: list[str] = []
    if not secret_key:
        problems.append("SECRET_KEY is missing")
    elif secret_key in KNOWN_PLACEHOLDER_SECRET_KEYS or secret_key.startswith("django-insecure"):
        problems.append("SECRET_KEY is a published placeholder: generate a new one")
    elif len(secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is {len(secret_key)} characters long, at least {MIN_SECRET_KEY_LENGTH} are needed")
    if debug:
        problems.append("DEBUG is on: it must be off in production")
    if not allowed_hosts:
        problems.append("ALLOWED_HOSTS is empty: list the host names the platform is served under")
    elif "*" in allowed_hosts:
        problems.append("ALLOWED_HOSTS contains '*': list the host names explicitly")
    if not database_url:
        problems.append("DATABASE_URL is missing")
    elif _scheme(database_url) not in PRODUCTION_DATABASE_SCHEMES:
        problems.append(f"DATABASE_URL uses '{_scheme(database_url)}': production runs on PostgreSQL")
    if not broker_url:
        problems.append("CELERY_BROKER_URL is missing")
    elif _scheme(broker_url) not in PRODUCTION_BROKER_SCHEMES:
        problems.append(
            f"CELERY_BROKER_URL uses '{_scheme(broker_url)}': production needs Redis "
            "(the filesystem broker never redelivers the tasks of a worker that died)"
        )
    if not cache_url:
        problems.append("CACHE_URL is missing: production caches in Redis, apart from the broker's")
    elif _scheme(cache_url) not in ("redis", "rediss"):
        problems.append(f"CACHE_URL uses '{_scheme(cache_url)}': production caches in Redis")
    elif broker_url and cache_url.rstrip("/") == broker_url.rstrip("/"):
        problems.append("CACHE_URL is the broker's Redis database: give the cache its own (it evicts)")
    problems.extend(field_encryption_keys_problems(field_encryption_keys))
    if any(key in KNOWN_PLACEHOLDER_FIELD_KEYS for key in field_encryption_keys):
        problems.append("FIELD_ENCRYPTION_KEYS contains the published development key")
    if any("*" in origin for origin in cors_allowed_origins):
        problems.append("CORS_ALLOWED_ORIGINS contains '*': list the allowed origins explicitly")
    return problems


def metrics_access_problems(*, token: str, allowed_networks: list[str]) -> list[str]:
    """Every way /metrics would be readable by anyone, or guessable; empty when it is guarded.

    Neither value set is not a problem: /metrics then answers 403 to every request in production.
    """
    problems: list[str] = []
    if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
        problems.append(
            f"METRICS_TOKEN is {len(token)} characters long, at least {MIN_METRICS_TOKEN_LENGTH} are needed"
        )
    networks = []
    for entry in allowed_networks:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            problems.append(f"METRICS_ALLOWED_NETWORKS entry '{entry}' is not an address or a network")
    if not token and any(network.prefixlen == 0 for network in networks):
        problems.append(
            "METRICS_ALLOWED_NETWORKS admits every address and METRICS_TOKEN is not set: /metrics would be public"
        )
    return problems

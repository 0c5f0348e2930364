"""Rules that a production environment must satisfy before the platform starts.

Kept apart from the settings so the rules are plain functions over the parsed values:
config/settings/production.py applies them at import time, and the tests call them directly.
The rules the apps share (Fernet keys, address allowlists) live in apps/core and are used here.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from apps.core.encryption_keys import fernet_key_problem, field_encryption_keys_problems
from apps.core.networks import read_networks

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
# A generated key (Django's get_random_secret_key, secrets.token_hex or token_urlsafe) uses far
# more distinct characters than this; a key made of a few repeated ones is typed, not generated.
MIN_SECRET_KEY_DISTINCT_CHARACTERS = 10
# Fernet.generate_key() gives 32 random bytes, ~30 of them distinct; 16 rules out keys such as
# 32 zero bytes or a short word repeated, which decode to 32 bytes all the same.
MIN_FERNET_KEY_DISTINCT_BYTES = 16
LOOPBACK_HOST_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
DEFAULT_REDIS_PORT = 6379


def _scheme(url: str) -> str:
    return urlsplit(url).scheme.lower() if url else ""


def _weak_fernet_key_problems(keys: Iterable[str]) -> list[str]:
    problems = []
    for position, key in enumerate(keys, start=1):
        if fernet_key_problem(key):
            continue  # already reported as malformed
        distinct = len(set(base64.urlsafe_b64decode(key.encode("ascii"))))
        if distinct < MIN_FERNET_KEY_DISTINCT_BYTES:
            problems.append(
                f"FIELD_ENCRYPTION_KEYS key #{position} is not random ({distinct} distinct bytes of 32): "
                "generate one with Fernet.generate_key()"
            )
    return problems


def _host_identity(host: str) -> str:
    """One spelling for every name of the same host: `localhost`, 127.0.0.1 and ::1 are all loopback."""
    host = host.lower().rstrip(".")
    if host in LOOPBACK_HOST_NAMES:
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_loopback:
        return "loopback"
    return address.compressed


def redis_database(url: str) -> tuple[str, int | str, str] | None:
    """(host, port or socket path, database number) a Redis URL points at; None if it is not Redis."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = dict(parse_qsl(parts.query))
    if scheme in ("unix", "redis+socket"):
        return ("socket", parts.path, query.get("db", "0"))
    if scheme not in ("redis", "rediss"):
        return None
    try:
        port = parts.port or DEFAULT_REDIS_PORT
    except ValueError:
        return None
    database = parts.path.strip("/") or query.get("db", "0")
    return (_host_identity(parts.hostname or "localhost"), port, str(int(database)) if database.isdigit() else database)


def _allowed_hosts_problems(allowed_hosts: list[str]) -> list[str]:
    if not allowed_hosts:
        return ["ALLOWED_HOSTS is empty: list the host names the platform is served under"]
    if "*" in allowed_hosts:
        return ["ALLOWED_HOSTS contains '*': list the host names explicitly"]
    # A leading dot matches the domain and every subdomain: `.com` would be every .com host.
    too_wide = [host for host in allowed_hosts if host.startswith(".") and "." not in host.strip(".")]
    return [f"ALLOWED_HOSTS entry '{host}' matches a whole top-level domain: name your domain" for host in too_wide]


def _cors_problems(origins: list[str]) -> list[str]:
    problems = []
    for origin in origins:
        if "*" in origin:
            problems.append("CORS_ALLOWED_ORIGINS contains '*': list the allowed origins explicitly")
        elif origin.lower() == "null":
            # Sandboxed iframes and file:// pages send "null": anyone can make a page that does.
            problems.append("CORS_ALLOWED_ORIGINS contains 'null': any sandboxed page would be allowed")
        elif urlsplit(origin).scheme.lower() != "https":
            problems.append(f"CORS_ALLOWED_ORIGINS entry '{origin}' is not an https origin")
    return problems


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
    elif len(set(secret_key)) < MIN_SECRET_KEY_DISTINCT_CHARACTERS:
        problems.append(
            f"SECRET_KEY uses only {len(set(secret_key))} distinct characters: generate a random one "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    if debug:
        problems.append("DEBUG is on: it must be off in production")
    problems.extend(_allowed_hosts_problems(allowed_hosts))
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
    elif broker_url and redis_database(cache_url) == redis_database(broker_url):
        problems.append("CACHE_URL is the broker's Redis database: give the cache its own (it evicts)")
    problems.extend(field_encryption_keys_problems(field_encryption_keys))
    if any(key in KNOWN_PLACEHOLDER_FIELD_KEYS for key in field_encryption_keys):
        problems.append("FIELD_ENCRYPTION_KEYS contains the published development key")
    else:
        problems.extend(_weak_fernet_key_problems(field_encryption_keys))
    problems.extend(_cors_problems(cors_allowed_origins))
    return problems


# The most each throttle scope may allow in production, in requests per minute: past these a
# limit no longer slows a password guesser or a scanner (defaults: docs/configuration.md).
THROTTLE_CEILINGS_PER_MINUTE = {"user": 12000, "anon": 600, "login": 30, "auth_failure": 300}
THROTTLE_PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Lifetimes and sizes production accepts (inclusive): longer-lived tokens or a login that may
# hold hundreds of tokens are a leaked credential waiting to happen.
PRODUCTION_BOUNDS = {
    "API_TOKEN_MAX_TTL_DAYS": (1, 730),
    "API_TOKEN_DEFAULT_TTL_DAYS": (1, 730),
    "API_LOGIN_TOKEN_TTL_HOURS": (1, 168),
    "API_LOGIN_TOKENS_PER_USER": (1, 100),
    "API_MAX_JSON_DEPTH": (4, 256),
}


def throttle_rate_per_minute(rate: str) -> float | None:
    """Requests per minute of a DRF rate such as "10/min" or "1000/day"; None if it does not parse."""
    count, _, period = str(rate).partition("/")
    seconds = THROTTLE_PERIOD_SECONDS.get(period[:1].lower())
    if not count.strip().isdigit() or seconds is None:
        return None
    return int(count) * 60 / seconds


def api_limits_problems(*, throttle_rates: dict[str, str | None], bounded: dict[str, int]) -> list[str]:
    """Throttle rates that would not limit (or would refuse everything), and values out of PRODUCTION_BOUNDS."""
    problems = []
    for scope, ceiling in THROTTLE_CEILINGS_PER_MINUTE.items():
        rate = throttle_rates.get(scope)
        per_minute = throttle_rate_per_minute(rate) if rate else None
        if per_minute is None:
            problems.append(f"the '{scope}' throttle rate '{rate}' is not a rate such as 10/min")
        elif per_minute < 1 / 1440:
            problems.append(f"the '{scope}' throttle rate '{rate}' would refuse every request")
        elif per_minute > ceiling:
            problems.append(f"the '{scope}' throttle rate '{rate}' is above {ceiling}/min: it would not limit")
    for name, value in bounded.items():
        low, high = PRODUCTION_BOUNDS[name]
        if not low <= value <= high:
            problems.append(f"{name} is {value}: production accepts {low} to {high}")
    default_ttl, max_ttl = bounded.get("API_TOKEN_DEFAULT_TTL_DAYS"), bounded.get("API_TOKEN_MAX_TTL_DAYS")
    if default_ttl is not None and max_ttl is not None and default_ttl > max_ttl:
        problems.append("API_TOKEN_DEFAULT_TTL_DAYS is above API_TOKEN_MAX_TTL_DAYS")
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
    networks, invalid = read_networks(tuple(allowed_networks))
    problems.extend(f"METRICS_ALLOWED_NETWORKS entry '{entry}' is not an address or a network" for entry in invalid)
    if not token and any(network.prefixlen == 0 for network in networks):
        problems.append(
            "METRICS_ALLOWED_NETWORKS admits every address and METRICS_TOKEN is not set: /metrics would be public"
        )
    return problems

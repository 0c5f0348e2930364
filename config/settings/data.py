"""Where data lives: the database, the cache, and the keys that encrypt stored secrets."""

from config import environment
from config.settings.base import IS_PRODUCTION, VAR_DIR, env

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

# --- Encrypted fields ---------------------------------------------------------------------
# A list, newest first: the first key encrypts, every key decrypts (rotation: put a new key
# first, run `manage.py rotate_encryption_keys`, then drop the old key). Independent of SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=[] if IS_PRODUCTION else [environment.DEVELOPMENT_FIELD_ENCRYPTION_KEY],
)

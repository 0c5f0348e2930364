"""Running the platform: the bootstrap admin, logging and metrics."""

from config.logging import build_logging
from config.settings.base import IS_PRODUCTION, env

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

"""Celery: broker, results, queues, time limits, and the beat's schedule and lease."""

import ssl
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from config.settings.base import IS_PRODUCTION, VAR_DIR, env
from config.settings.web import TIME_ZONE

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
    "scheduling.*": {"queue": "default"},
    "servers.*": {"queue": "sync"},
    "projects.*": {"queue": "sync"},
    "monitoring.*": {"queue": "health"},
    "provisioning.*": {"queue": "provisioning"},
    # Jobs run Ansible, as the provisioning phases do: the same workers.
    "jobs.*": {"queue": "provisioning"},
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
    # The folders are created when a process starts (apps/core/directories.py).
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
# Each worker records itself (apps/scheduling, the admin's Workers page and /api/workers/): a
# heartbeat this often, shown offline once its last one is older than the bound (system checks
# scheduling.E001/E002), removed once last heard from more than the retention ago.
WORKER_HEARTBEAT_SECONDS = env.int("WORKER_HEARTBEAT_SECONDS", default=30)
WORKER_OFFLINE_AFTER_SECONDS = env.int("WORKER_OFFLINE_AFTER_SECONDS", default=90)
WORKER_RETENTION_DAYS = env.int("WORKER_RETENTION_DAYS", default=7)

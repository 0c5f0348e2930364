import os

from celery import Celery

from tasks.worker_presence import WorkerPresence

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Task modules, one per domain. Listed rather than autodiscovered because tasks live in this
# package, not inside the Django apps; `imports` also lets the admin's "run now" find them.
app.conf.imports = (
    "tasks.core",
    "tasks.servers",
    "tasks.projects",
    "tasks.monitoring",
    "tasks.provisioning",
    "tasks.jobs",
    "tasks.audit",
    "tasks.scheduling",
)
app.set_default()

# Each worker records itself (queues, concurrency, heartbeat) for the admin's Workers page.
app.steps["worker"].add(WorkerPresence)

# Signal handlers (structured log context, heartbeat bookkeeping) for every process.
import tasks.signals  # noqa: E402,F401

"""Gunicorn settings for the platform's web service (`gunicorn -c platform/docker/gunicorn.conf.py`).

Every value can be tuned from the environment, so compose.yaml changes them without a rebuild.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# WEB_CONCURRENCY is the usual name for the number of worker processes.
workers = _int("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8))
threads = _int("GUNICORN_THREADS", 1)
# A request running longer than this is killed and its worker restarted; slow work belongs in Celery.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The heartbeat file lives in memory: a container's overlay filesystem can stall it.
SHARED_MEMORY = "/dev/shm"  # noqa: S108  (a tmpfs in every container; not a shared temp dir)
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None

# Logs go to stdout/stderr, where the container runtime collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Addresses of the proxies allowed to set X-Forwarded-* (comma separated; "*" trusts everyone,
# only right when nothing but the proxy can reach this port).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# prometheus_client multiprocess mode: each worker writes its metrics to files in this directory
# and /metrics sums them. Files of an earlier run would be summed in as if still alive, so the
# directory is emptied before the first worker starts (docs/observability.md).
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()


def on_starting(server) -> None:
    if not PROMETHEUS_MULTIPROC_DIR:
        return
    os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)
    for name in os.listdir(PROMETHEUS_MULTIPROC_DIR):
        if name.endswith(".db"):
            os.unlink(os.path.join(PROMETHEUS_MULTIPROC_DIR, name))


def child_exit(server, worker) -> None:
    if not PROMETHEUS_MULTIPROC_DIR:
        return
    # A dead worker's live gauges must not be reported; its counters stay and keep counting.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, PROMETHEUS_MULTIPROC_DIR)

"""Shared fixtures: real Celery worker and beat processes against the test database and broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tasks import app as celery_app

# tests.process_guard: a run fails when a test leaves a process running.
pytest_plugins = ["tests.fakes.fixtures", "tests.process_guard"]

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counters and other cached values never carry from one test into the next."""
    from django.core.cache import cache

    cache.clear()


CELERY = str(Path(sys.executable).parent / "celery")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def start_gunicorn(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """The platform's web as production runs it: gunicorn with platform/docker/gunicorn.conf.py
    (bind it with GUNICORN_BIND in `env`); its output goes to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [GUNICORN, "--config", "platform/docker/gunicorn.conf.py", "config.wsgi:application"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def database_url_for_subprocess() -> str:
    """The URL of the database the tests use right now (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url_for_subprocess()}
    env.update(extra)
    return env


def purge_queues() -> None:
    """Drop messages left in the test broker by an earlier, interrupted run."""
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in settings.CELERY_TASK_QUEUE_NAMES:
            channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            channel.queue_purge(queue)


def wait_for(
    condition: Callable[[], object], *, timeout: float, what: str | Callable[[], str], interval: float = 0.2
) -> object:
    """Poll until `condition()` is truthy; `what` (or what it returns, read at the time-out) says what failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


class CeleryProcess:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [CELERY, "-A", "tasks", *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def start_celery(django_db_blocker, tmp_path) -> Iterator[Callable[..., CeleryProcess]]:
    """Start `celery -A tasks <args>` as a real process on the test database and broker."""
    started: list[CeleryProcess] = []

    def start(*args: str, **extra_env: str) -> CeleryProcess:
        with django_db_blocker.unblock():
            env = subprocess_env(**extra_env)
        process = CeleryProcess(args[0], list(args), env, tmp_path / f"{args[0]}-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def start_worker(start_celery, *, queues: str, concurrency: int = 1, purge: bool = True, **env: str) -> CeleryProcess:
    """Start a real worker and wait until it is ready; on a clean broker unless `purge` is False
    (a second worker taking over from a first one must find the first one's messages)."""
    if purge:
        purge_queues()
    worker = start_celery(
        "worker",
        "--queues",
        queues,
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "INFO",
        "--without-mingle",
        "--without-gossip",
        **env,
    )
    wait_for(lambda: "ready." in worker.output() or worker.process.poll() is not None, timeout=60, what="worker")
    assert worker.process.poll() is None, worker.output()
    return worker


@pytest.fixture
def celery_worker_process(start_celery) -> CeleryProcess:
    """A real worker consuming every platform queue, with a clean broker."""
    return start_worker(start_celery, queues=",".join(settings.CELERY_TASK_QUEUE_NAMES))

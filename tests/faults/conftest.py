"""Shared fault fixtures: a Redis server of the test's own (tests/fakes/redis_server.py, data in
the test's tmp dir), process killing, the counting task."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings

from tests.conftest import CeleryProcess, wait_for
from tests.fakes.processes import children_of
from tests.fakes.redis_server import RedisServer
from tests.faults.count_tasks import QUEUE, RECORD
from tests.testapp.models import TaskExecution

COUNT_TASKS_MODULE = "tests.faults.count_tasks"
# For the processes of a test that waits for Redis to hand a dead worker's tasks back: a short
# visibility timeout, and time limits below it (the rule core.E010 enforces in production).
SHORT_VISIBILITY = {
    "CELERY_VISIBILITY_TIMEOUT": "10",
    "CELERY_MAX_TASK_TIME_LIMIT": "9",
    "CELERY_TASK_TIME_LIMIT": "8",
    "CELERY_TASK_SOFT_TIME_LIMIT": "6",
}


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


class Publisher:
    """Publishes with the platform's Celery settings to `broker_url` (the test's Redis), while the
    test process's own app keeps the suite's broker. The URL is given to each connection because
    Celery prefers a CELERY_BROKER_URL environment variable to its configuration."""

    def __init__(self, broker_url: str, **transport_options) -> None:
        self.url = broker_url
        self.app = Celery("faults-publisher", set_as_current=False)
        self.app.config_from_object("django.conf:settings", namespace="CELERY")
        self.transport_options = {**self.app.conf.broker_transport_options, **transport_options}

    def connection(self):
        return self.app.connection_for_write(self.url, transport_options=self.transport_options)

    def send(self, key: str, *, sleep_ms: int, connection=None) -> str:
        result = self.app.send_task(
            RECORD, kwargs={"key": key, "sleep_ms": sleep_ms}, queue=QUEUE, connection=connection
        )
        return result.id


def fault_env(redis: RedisServer, **extra: str) -> dict[str, str]:
    """The environment of the processes a fault test starts: the test's Redis as broker."""
    return {"CELERY_BROKER_URL": redis.url, **extra}


def start_counting_worker(start_celery, redis: RedisServer, *, concurrency: int, queues: str = QUEUE, **env: str):
    """A real worker on the test's Redis that also loads the counting task; waits until ready."""
    worker = start_celery(
        "worker",
        "--queues", queues,
        "--concurrency", str(concurrency),
        "--include", COUNT_TASKS_MODULE,
        "--loglevel", "INFO",
        "--without-mingle",
        "--without-gossip",
        **fault_env(redis, **env),
    )  # fmt: skip
    wait_for(lambda: "ready." in worker.output() or worker.process.poll() is not None, timeout=90, what="worker")
    assert worker.process.poll() is None, worker.output()
    return worker


def kill_whole_worker(worker: CeleryProcess) -> None:
    """SIGKILL the main process and every pool child at once, like the OOM killer or a lost host."""
    for pid in [worker.process.pid, *children_of(worker.process.pid)]:
        os.kill(pid, signal.SIGKILL)
    worker.process.wait(timeout=10)


def send_records(publisher: Publisher, keys: list[str], *, sleep_ms: int) -> None:
    with publisher.connection() as conn:
        for key in keys:
            publisher.send(key, sleep_ms=sleep_ms, connection=conn)


def executions(prefix: str) -> dict[str, int]:
    return dict(TaskExecution.objects.filter(key__startswith=prefix).values_list("key", "executions"))


def count_figures(keys: list[str], prefix: str) -> dict[str, int]:
    """sent / completed (distinct keys run) / duplicated (extra runs) / lost (never run)."""
    ran = executions(prefix)
    wanted = set(keys)
    return {
        "sent": len(keys),
        "completed": sum(1 for key in keys if ran.get(key, 0) >= 1),
        "duplicated": sum(count - 1 for key, count in ran.items() if key in wanted and count > 1),
        "lost": sum(1 for key in keys if ran.get(key, 0) == 0),
    }


def write_figures(name: str, figures: dict) -> None:
    """Print the figures and keep them in VAR_DIR/faults/<name>.json for docs/reliability.md."""
    folder = Path(settings.VAR_DIR) / "faults"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\n{name}: {json.dumps(figures, sort_keys=True)}")


def elapsed_since(start: float) -> float:
    return round(time.monotonic() - start, 1)

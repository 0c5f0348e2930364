"""A worker killed with SIGKILL while 1,000 idempotent tasks are in flight: none is lost.

- One pool child killed: its task is rejected back to the queue at once (acks_late with
  task_reject_on_worker_lost) and runs again; the worker replaces the child and goes on. The
  worker here keeps production's visibility timeout, so finishing proves the task came back at once.
- The whole worker killed: its unacknowledged tasks stay in Redis and a new worker gets them
  once the visibility timeout has passed (shortened to 10 s here; production's is 5,400 s).

Duplicates are the tasks that had done their work but were not yet acknowledged: bounded by the
tasks a worker holds at once (concurrency times prefetch 1), and harmless since tasks are idempotent.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import wait_for
from tests.faults.conftest import (
    SHORT_VISIBILITY,
    Publisher,
    children_of,
    count_figures,
    elapsed_since,
    executions,
    kill_whole_worker,
    send_records,
    start_counting_worker,
    write_figures,
)

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TASKS = 1000
CONCURRENCY = 3
SLEEP_MS = 20


def completed(prefix: str) -> int:
    return sum(1 for count in executions(prefix).values() if count >= 1)


def wait_completed(prefix: str, at_least: int, worker, *, timeout: float) -> None:
    wait_for(
        lambda: completed(prefix) >= at_least,
        timeout=timeout,
        what=lambda: f"{at_least} tasks done (have {completed(prefix)}):\n{worker.output()[-3000:]}",
        interval=0.1,
    )


def test_pool_children_killed_mid_task_lose_nothing(redis_server, start_celery):
    prefix = "child-kill-"
    keys = [f"{prefix}{n}" for n in range(TASKS)]
    worker = start_counting_worker(start_celery, redis_server, concurrency=CONCURRENCY)
    started = time.monotonic()
    send_records(Publisher(redis_server.url), keys, sleep_ms=SLEEP_MS)

    kills = 0
    for done in (200, 500, 800):
        wait_completed(prefix, done, worker, timeout=120)
        os.kill(children_of(worker.process.pid)[0], signal.SIGKILL)
        kills += 1
    wait_completed(prefix, TASKS, worker, timeout=180)
    figures = {**count_figures(keys, prefix), "children_killed": kills, "seconds": elapsed_since(started)}
    write_figures("worker_kill_pool_child", figures)

    assert figures["lost"] == 0
    assert figures["completed"] == TASKS
    # At most the task each killed child was running ran twice.
    assert figures["duplicated"] <= kills
    log = worker.output()
    assert log.count("SIGKILL") >= kills, log[-3000:]
    assert worker.process.poll() is None  # the worker itself lived on, with new children


def test_a_whole_worker_killed_its_tasks_go_to_the_next_worker_after_the_visibility_timeout(redis_server, start_celery):
    prefix = "worker-kill-"
    keys = [f"{prefix}{n}" for n in range(TASKS)]
    first = start_counting_worker(start_celery, redis_server, concurrency=CONCURRENCY, **SHORT_VISIBILITY)
    send_records(Publisher(redis_server.url, visibility_timeout=10), keys, sleep_ms=SLEEP_MS)

    wait_completed(prefix, 300, first, timeout=120)
    kill_whole_worker(first)
    killed_at = time.monotonic()
    done_at_kill = completed(prefix)

    second = start_counting_worker(start_celery, redis_server, concurrency=CONCURRENCY, **SHORT_VISIBILITY)
    wait_completed(prefix, TASKS, second, timeout=240)
    figures = {
        **count_figures(keys, prefix),
        "completed_before_kill": done_at_kill,
        "visibility_timeout_seconds": 10,
        "seconds_from_kill_to_all_done": elapsed_since(killed_at),
    }
    write_figures("worker_kill_whole_worker", figures)

    assert figures["lost"] == 0
    assert figures["completed"] == TASKS
    # Only the tasks the dead worker held unacknowledged can have run twice.
    assert figures["duplicated"] <= CONCURRENCY

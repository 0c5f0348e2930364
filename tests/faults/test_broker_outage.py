"""The test's Redis stopped for 20 s under load, then started again on the same port.

The worker, beat and web (gunicorn) started before the outage go on without a restart. Every
publish during the outage either raised to its caller or was delivered later: nothing the broker
took is lost. The API answers 503 (never 202, never a hang) when it could not queue, and marks
the run it created failed at once, so the next request after the outage is accepted.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.access.services import token_create
from apps.core.choices import SyncStatus
from apps.core.models import SyncRun
from tests import factories
from tests.conftest import start_gunicorn, subprocess_env, wait_for
from tests.fakes.ports import free_port
from tests.fakes.redis_server import RedisServer
from tests.faults.conftest import (
    SHORT_VISIBILITY,
    Publisher,
    elapsed_since,
    executions,
    fault_env,
    send_records,
    start_counting_worker,
    write_figures,
)
from tests.faults.count_tasks import QUEUE, RECORD
from tests.testapp.models import TaskExecution

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 20
# A request while Redis is down must answer quickly: kombu's bounded publish retries, no hang.
REQUEST_TIMEOUT = 15
HELD = "held-during-outage"
BACKLOG = 40
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # whatever proxy the environment names


def post(url: str, token: str) -> tuple[int, dict | str, float]:
    """(status, JSON body or text, seconds taken); status 0 when nothing answered."""
    request = urllib.request.Request(url, data=b"", method="POST", headers={"Authorization": f"Token {token}"})  # noqa: S310
    started = time.monotonic()
    try:
        with DIRECT.open(request, timeout=REQUEST_TIMEOUT) as response:
            return response.status, body_of(response.read()), elapsed_since(started)
    except urllib.error.HTTPError as error:
        return error.code, body_of(error.read()), elapsed_since(started)
    except urllib.error.URLError:
        return 0, {}, elapsed_since(started)


def body_of(raw: bytes) -> dict | str:
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return raw.decode(errors="replace")[:500]


@pytest.fixture
def web(redis_server: RedisServer, django_db_blocker, tmp_path):
    """The platform's web as a real gunicorn process whose broker is the test's Redis."""
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(**fault_env(redis_server, WEB_CONCURRENCY="2", GUNICORN_BIND=f"127.0.0.1:{port}"))
    log_path = tmp_path / "gunicorn.log"
    process = start_gunicorn(env, log_path)
    base = f"http://127.0.0.1:{port}"

    def live() -> bool:
        try:
            with DIRECT.open(f"{base}/health/live", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    wait_for(lambda: process.poll() is not None or live(), timeout=60, what=lambda: log_path.read_text())
    assert process.poll() is None, log_path.read_text()
    yield base
    process.terminate()
    process.wait(timeout=30)


class Load:
    """Publishes counting tasks in a loop, as the platform's callers do, and notes for each key
    whether the publish returned (the broker took it) or raised to the caller."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.accepted: list[str] = []
        self.accepted_at: dict[str, float] = {}
        self.raised: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        number = 0
        with self.publisher.connection() as connection:
            while not self._stop.is_set():
                key = f"load-{number}"
                number += 1
                try:
                    self.publisher.send(key, sleep_ms=10, connection=connection)
                except Exception:  # the caller sees the failure: counted, not hidden
                    self.raised.append(key)
                else:
                    self.accepted.append(key)
                    self.accepted_at[key] = time.time()
                time.sleep(0.05)


def test_worker_beat_and_web_ride_out_a_20_second_redis_outage(redis_server, start_celery, web):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "unused-password")
    _, token = token_create(user=user, name="outage test")
    account = factories.provider_account()
    server = factories.server(account=account, lifecycle="ready")
    every_2_seconds = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.SECONDS)
    tick = PeriodicTask.objects.create(
        name="faults tick", task=RECORD, interval=every_2_seconds, queue=QUEUE, expires=None
    )
    worker = start_counting_worker(start_celery, redis_server, concurrency=2, **SHORT_VISIBILITY)
    beat = start_celery("beat", "--loglevel", "INFO", "--schedule", "/dev/null", **fault_env(redis_server))
    wait_for(lambda: ticks_since(0) >= 2, timeout=60, what=lambda: f"beat's ticks to run:\n{beat.output()[-3000:]}")
    load = Load(Publisher(redis_server.url, visibility_timeout=10))
    load.start()
    time.sleep(5)
    # A task still running when Redis goes away: the worker then holds it unacknowledged (the case
    # that used to make the worker exit instead of reconnecting).
    publisher = Publisher(redis_server.url, visibility_timeout=10)
    with publisher.connection() as connection:
        publisher.send(HELD, sleep_ms=3000, connection=connection)
    wait_for(lambda: executions(HELD), timeout=60, what=lambda: f"the held task to start:\n{worker.output()[-3000:]}")
    # And a backlog still queued in Redis when it stops.
    backlog = [f"backlog-{n}" for n in range(BACKLOG)]
    send_records(publisher, backlog, sleep_ms=100)

    redis_server.stop()
    stopped_at, stopped_wall = time.monotonic(), time.time()
    sync_down = post(f"{web}/api/provider-accounts/{account.pk}/sync/", token)
    run_now_down = post(f"{web}/api/periodic-tasks/{tick.pk}/run/", token)
    check_down = post(f"{web}/api/servers/{server.pk}/health-check/", token)
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
    redis_server.start()
    restarted_at = time.time()
    outage_seconds = elapsed_since(stopped_at)

    # The requests during the outage failed loudly and quickly; the sync run is failed, not queued.
    assert sync_down[0] == 503, sync_down
    assert run_now_down[0] == 503, run_now_down
    assert check_down[0] == 503, check_down
    failed_runs = SyncRun.objects.filter(status=SyncStatus.FAILED, error__contains="broker unavailable")
    assert failed_runs.count() == 1
    # Back: the same web accepts the same requests.
    sync_up = wait_for(
        lambda: (answer := post(f"{web}/api/provider-accounts/{account.pk}/sync/", token))[0] == 202 and answer,
        timeout=30,
        what="the web to queue again",
        interval=1,
    )
    assert post(f"{web}/api/periodic-tasks/{tick.pk}/run/", token)[0] == 202
    assert post(f"{web}/api/servers/{server.pk}/health-check/", token)[0] == 202
    assert SyncRun.objects.get(pk=sync_up[1]["run_id"]).status == SyncStatus.QUEUED

    time.sleep(5)  # load after the restart
    load.stop()
    # Nothing the broker accepted vanished: every accepted key runs, the same worker runs it.
    wait_for(
        lambda: not never_ran(load.accepted),
        timeout=180,
        what=lambda: f"accepted tasks to run: {never_ran(load.accepted)}\n{worker.output()[-3000:]}",
        interval=1,
    )
    # Beat, the same process, sends again: ticks run after the restart.
    wait_for(
        lambda: ticks_since(restarted_at) >= 3,
        timeout=90,
        what=lambda: f"beat's ticks after the restart:\n{beat.output()[-3000:]}",
    )
    wait_for(
        lambda: len(executions("backlog-")) == BACKLOG,
        timeout=180,
        what=lambda: f"the backlog to run ({len(executions('backlog-'))} of {BACKLOG})",
        interval=1,
    )
    assert worker.process.poll() is None, worker.output()[-3000:]
    assert "Unrecoverable error" not in worker.output()
    assert "Connection to broker lost" in worker.output()
    # The task cut off by the outage ran again once Redis handed it back (visibility timeout).
    wait_for(lambda: executions(HELD).get(HELD, 0) >= 2, timeout=180, what="the held task to run again")
    assert beat.process.poll() is None, beat.output()[-3000:]

    ran = executions("load-")
    figures = {
        "outage_seconds": outage_seconds,
        "published_accepted": len(load.accepted),
        "published_raised_to_caller": len(load.raised),
        "raised_but_delivered": sum(1 for key in load.raised if ran.get(key)),
        "accepted_lost": len(never_ran(load.accepted)),
        "accepted_duplicated": sum(count - 1 for count in ran.values() if count > 1),
        "api_seconds_to_503": max(sync_down[2], run_now_down[2], check_down[2]),
        "beat_ticks_after_restart": ticks_since(restarted_at),
        "held_task_runs": executions(HELD)[HELD],
        "backlog_queued_at_stop": BACKLOG,
        # Taken by Redis before it stopped, still queued, run once it was back (the append-only file).
        "backlog_run_after_restart": delivered_after(backlog, restarted_at, prefix="backlog-"),
        "accepted_before_stop_run_after_restart": delivered_after(
            [key for key in load.accepted if load.accepted_at[key] < stopped_wall], restarted_at
        ),
    }
    write_figures("broker_outage", figures)
    assert figures["published_raised_to_caller"] >= 1  # the load really ran into the outage
    assert figures["accepted_lost"] == 0
    assert figures["backlog_run_after_restart"] >= 1  # queued messages outlived the restart
    assert figures["api_seconds_to_503"] < REQUEST_TIMEOUT


def never_ran(keys: list[str]) -> list[str]:
    ran = executions("load-")
    return [key for key in keys if not ran.get(key)]


def ticks_since(moment: float) -> int:
    return TaskExecution.objects.filter(key__startswith="tick-", first_run_at__gte=as_datetime(moment)).count()


def delivered_after(keys: list[str], moment: float, prefix: str = "load-") -> int:
    wanted = set(keys)
    later = TaskExecution.objects.filter(key__startswith=prefix, first_run_at__gte=as_datetime(moment))
    return sum(1 for key in later.values_list("key", flat=True) if key in wanted)


def as_datetime(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, tz=UTC)

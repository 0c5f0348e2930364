"""The workers list (admin's Workers page, GET /api/workers/): what each worker recorded of
itself, online ones first, read from the database only.

The first tests write the records through the services a worker calls; the last ones start
real workers and watch them appear, beat, freeze, run a task, lose the database or the broker,
and stop.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.scheduling.models import Worker
from apps.scheduling.services import worker_record_heartbeat, worker_record_stopped, workers_cleanup
from tasks import app as celery_app
from tests.conftest import purge_queues, wait_for
from tests.fakes.holding_proxy import HoldingTcpProxy
from tests.fakes.ports import free_port
from tests.fakes.processes import freeze, thaw
from tests.fakes.redis_server import RedisServer
from tests.roles import api_client_with_role, user_with_role
from tests.scheduling.worker_tasks import WAIT_FOR_FILE

pytestmark = pytest.mark.django_db

# The workers the last tests start (real processes on the suite's database and broker) beat every
# second instead of every 30.
HEARTBEAT = {"WORKER_HEARTBEAT_SECONDS": "1"}


def record(hostname: str, *, pid: int = 100, started_at=None, queues=("default",), concurrency=2, tasks_running=0):
    started_at = started_at or timezone.now() - timedelta(minutes=5)
    worker_record_heartbeat(
        hostname=hostname,
        pid=pid,
        started_at=started_at,
        queues=list(queues),
        concurrency=concurrency,
        tasks_running=tasks_running,
    )
    return started_at


def heard_from(hostname: str, ago: timedelta) -> None:
    Worker.objects.filter(hostname=hostname).update(last_heartbeat_at=timezone.now() - ago)


def listed(client, **query) -> list[dict]:
    response = client.get("/api/workers/", query)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_list_shows_every_worker_online_first_with_what_it_consumes_and_runs():
    record("celery@zulu", queues=["sync", "default"], concurrency=4, tasks_running=3)
    started = record("celery@alpha", queues=["health"], concurrency=1)
    worker_record_stopped(hostname="celery@alpha", pid=100, started_at=started)
    record("celery@mike")
    heard_from("celery@mike", timedelta(minutes=5))  # went away without a word

    workers = listed(api_client_with_role("viewer"))

    assert [(w["hostname"], w["status"]) for w in workers] == [
        ("celery@zulu", "online"),
        ("celery@alpha", "offline"),
        ("celery@mike", "offline"),
    ]
    zulu, alpha, mike = workers
    assert (zulu["queues"], zulu["concurrency"], zulu["tasks_running"]) == (["default", "sync"], 4, 3)
    assert zulu["started_at"]
    assert zulu["last_heartbeat_at"]
    assert zulu["stopped_at"] is None
    assert alpha["stopped_at"] is not None
    assert alpha["tasks_running"] == 0
    assert mike["stopped_at"] is None  # not shut down: its last heartbeat says when it was last seen


def test_a_worker_goes_offline_once_its_last_heartbeat_is_older_than_the_bound(settings):
    settings.WORKER_OFFLINE_AFTER_SECONDS = 90
    record("celery@web1")
    client = api_client_with_role("viewer")

    heard_from("celery@web1", timedelta(seconds=60))
    assert listed(client)[0]["status"] == "online"
    heard_from("celery@web1", timedelta(seconds=120))
    assert listed(client)[0]["status"] == "offline"


def test_status_filters_the_list_and_an_unknown_parameter_or_value_is_a_400():
    record("celery@up")
    record("celery@gone")
    heard_from("celery@gone", timedelta(hours=1))
    client = api_client_with_role("viewer")

    assert [w["hostname"] for w in listed(client, status="online")] == ["celery@up"]
    assert [w["hostname"] for w in listed(client, status="offline")] == ["celery@gone"]
    assert [w["hostname"] for w in listed(client, ordering="-hostname")] == ["celery@up", "celery@gone"]

    unknown = client.get("/api/workers/", {"queue": "default"})
    assert unknown.status_code == 400
    assert unknown.json() == {"queue": ["not a parameter of this operation; it takes: format, ordering, page, status"]}
    bad_value = client.get("/api/workers/", {"status": "sleeping"})
    assert bad_value.status_code == 400
    assert client.get("/api/workers/", {"ordering": "pid"}).status_code == 400


def test_one_worker_is_read_by_its_node_name_dots_included():
    record("provisioning-2@web1.example.com", queues=["provisioning"])
    client = api_client_with_role("viewer")

    response = client.get("/api/workers/provisioning-2@web1.example.com/")

    assert response.status_code == 200, response.content
    assert response.json()["queues"] == ["provisioning"]
    assert response.json()["status"] == "online"
    assert client.get("/api/workers/nobody@nowhere/").status_code == 404


def test_reading_the_list_costs_the_same_queries_for_one_worker_or_many():
    client = api_client_with_role("viewer")
    record("celery@one")
    listed(client)  # the user's permissions are cached from here on
    with CaptureQueriesContext(connection) as one:
        listed(client)
    for number in range(10):
        record(f"celery@many-{number}")
    with CaptureQueriesContext(connection) as many:
        assert len(listed(client)) == 11

    assert len(many) == len(one) <= 3


def test_heartbeats_are_idempotent_and_a_new_process_of_the_same_name_takes_the_row_over():
    first_start = record("celery@web1", pid=7)
    record("celery@web1", pid=7, started_at=first_start, tasks_running=2)
    assert Worker.objects.count() == 1
    assert Worker.objects.get().tasks_running == 2

    # The container restarted after a kill: same name, same pid, a new process.
    second_start = first_start + timedelta(minutes=3)
    record("celery@web1", pid=7, started_at=second_start, queues=["provisioning"])

    worker = Worker.objects.get()
    assert (worker.started_at, worker.queues, worker.tasks_running) == (second_start, ["provisioning"], 0)
    # The old process's shutdown, arriving late, does not stop the new one.
    worker_record_stopped(hostname="celery@web1", pid=7, started_at=first_start)
    assert Worker.objects.get().stopped_at is None


def test_a_heartbeat_that_crosses_its_own_shutdown_leaves_the_worker_stopped():
    started = record("celery@web1")
    worker_record_stopped(hostname="celery@web1", pid=100, started_at=started)

    record("celery@web1", started_at=started)

    assert Worker.objects.get().stopped_at is not None


def test_the_cleanup_removes_workers_last_heard_from_more_than_the_retention_ago(settings):
    settings.WORKER_RETENTION_DAYS = 7
    for name in ("celery@old", "celery@recent", "celery@online"):
        record(name)
    heard_from("celery@old", timedelta(days=8))
    heard_from("celery@recent", timedelta(days=6))

    assert workers_cleanup() == 1

    assert sorted(Worker.objects.values_list("hostname", flat=True)) == ["celery@online", "celery@recent"]


def test_a_viewer_reads_the_workers_page_online_first_and_can_change_nothing(client):
    record("celery@gone-away", queues=["health"])
    heard_from("celery@gone-away", timedelta(minutes=5))
    record("celery@busy", queues=["default", "provisioning"], concurrency=3, tasks_running=2)
    client.force_login(user_with_role("viewer"))

    page = client.get("/admin/scheduling/worker/")

    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("celery@busy") < html.index("celery@gone-away")
    assert "default, provisioning" in html
    assert "Online" in html
    assert "Offline" in html
    assert 'href="/admin/scheduling/worker/add/"' not in html
    offline_only = client.get("/admin/scheduling/worker/", {"status": "offline"}).content.decode()
    assert "celery@gone-away" in offline_only
    assert "celery@busy" not in offline_only
    worker = Worker.objects.get(hostname="celery@busy")
    detail = client.get(f"/admin/scheduling/worker/{worker.pk}/change/")
    assert detail.status_code == 200
    assert 'name="concurrency"' not in detail.content.decode()  # read-only
    assert client.get("/admin/scheduling/worker/add/").status_code == 403
    assert client.post(f"/admin/scheduling/worker/{worker.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Worker.objects.count() == 2


def test_the_offline_bound_must_exceed_the_heartbeat_interval(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 30
    settings.WORKER_OFFLINE_AFTER_SECONDS = 30

    assert "scheduling.E002" in {error.id for error in run_checks()}


def start_named_worker(start_celery, name: str, *, queues: str, concurrency: int = 1, **env: str):
    """A real worker named `name@<this host>`, also loading the tests' waiting task; waits until ready."""
    worker = start_celery(
        "worker",
        "--hostname", f"{name}@%h",
        "--queues", queues,
        "--concurrency", str(concurrency),
        "--include", "tests.scheduling.worker_tasks",
        "--loglevel", "INFO",
        "--without-mingle",
        "--without-gossip",
        **{**HEARTBEAT, **env},
    )  # fmt: skip
    wait_for(lambda: "ready." in worker.output() or worker.process.poll() is not None, timeout=60, what="worker")
    assert worker.process.poll() is None, worker.output()
    return worker


def shown(client, name: str) -> dict | None:
    """The worker named `name@...` as GET /api/workers/ shows it, or None while it is not listed."""
    return next((w for w in listed(client) if w["hostname"].startswith(f"{name}@")), None)


def statuses(client) -> dict[str, str]:
    return {w["hostname"].split("@")[0]: w["status"] for w in listed(client)}


def when(worker: dict, field: str) -> datetime:
    return datetime.fromisoformat(worker[field])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_is_listed_with_its_queues_and_concurrency_beats_and_is_offline_once_stopped(start_celery):
    purge_queues()
    worker = start_named_worker(start_celery, "alpha", queues="default,sync", concurrency=2)
    client = api_client_with_role("viewer")

    first = wait_for(lambda: shown(client, "alpha"), timeout=30, what=lambda: f"the worker listed:\n{worker.output()}")
    assert first["status"] == "online"
    assert (first["queues"], first["concurrency"], first["tasks_running"]) == (["default", "sync"], 2, 0)
    assert first["pid"] == worker.process.pid
    assert first["stopped_at"] is None
    later = wait_for(
        lambda: (w := shown(client, "alpha")) and when(w, "last_heartbeat_at") > when(first, "last_heartbeat_at") and w,
        timeout=15,
        what="a later heartbeat",
    )
    assert later["started_at"] == first["started_at"]

    worker.stop()  # SIGTERM: a warm shutdown

    stopped = shown(client, "alpha")
    assert stopped["status"] == "offline"
    assert when(stopped, "stopped_at") >= when(later, "last_heartbeat_at")
    assert client.get("/api/workers/", {"status": "online"}).json()["results"] == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_each_worker_is_listed_apart_and_a_frozen_one_is_offline_until_it_wakes(start_celery, settings):
    settings.WORKER_OFFLINE_AFTER_SECONDS = 4
    purge_queues()
    alpha = start_named_worker(start_celery, "alpha", queues="default")
    beta = start_named_worker(start_celery, "beta", queues="health,provisioning", concurrency=3)
    client = api_client_with_role("viewer")
    wait_for(
        lambda: statuses(client) == {"alpha": "online", "beta": "online"},
        timeout=30,
        what=lambda: f"both workers online:\n{alpha.output()}\n{beta.output()}",
    )
    assert (shown(client, "beta")["queues"], shown(client, "beta")["concurrency"]) == (["health", "provisioning"], 3)

    frozen = freeze(beta.process.pid)  # a paused VM, `docker pause`: no shutdown, no word
    try:
        wait_for(lambda: shown(client, "beta")["status"] == "offline", timeout=20, what="the frozen worker offline")
        assert [(w["hostname"].split("@")[0], w["status"]) for w in listed(client)] == [
            ("alpha", "online"),
            ("beta", "offline"),
        ]
        assert shown(client, "beta")["stopped_at"] is None
    finally:
        thaw(frozen)

    wait_for(lambda: shown(client, "beta")["status"] == "online", timeout=20, what="the woken worker online again")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_shows_how_many_tasks_it_is_running(start_celery, tmp_path):
    purge_queues()
    worker = start_named_worker(start_celery, "gamma", queues="default", concurrency=2)
    client = api_client_with_role("viewer")
    release = tmp_path / "release"

    celery_app.send_task(WAIT_FOR_FILE, args=[str(release)], queue="default")

    wait_for(
        lambda: (w := shown(client, "gamma")) and w["tasks_running"] == 1,
        timeout=30,
        what=lambda: f"one task running:\n{worker.output()}",
    )
    release.touch()
    wait_for(lambda: shown(client, "gamma")["tasks_running"] == 0, timeout=30, what="no task running")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_started_while_the_database_is_unavailable_runs_on_and_is_listed_once_it_answers(
    start_celery, tmp_path, monkeypatch
):
    purge_queues()
    database = connection.settings_dict
    with contextlib.ExitStack() as stack:
        if connection.vendor == "postgresql":
            # Nothing listens on the port the worker is given, until a proxy to PostgreSQL does.
            port = free_port()
            url = f"postgres://{database['USER']}@127.0.0.1:{port}/{database['NAME']}"
            monkeypatch.setattr("tests.fakes.holding_proxy.free_port", lambda: port)

            def database_answers() -> None:
                stack.enter_context(HoldingTcpProxy(int(database["PORT"] or 5432)))
        else:
            # The database's folder, reached through a link that does not exist yet.
            link = tmp_path / "database"
            url = f"sqlite:///{link}/{Path(database['NAME']).name}"

            def database_answers() -> None:
                link.symlink_to(Path(database["NAME"]).parent)

        worker = start_named_worker(start_celery, "delta", queues="default", DATABASE_URL=url)

        wait_for(
            lambda: worker.output().count("worker_heartbeat_not_recorded") >= 2,
            timeout=30,
            what=lambda: f"the worker to log its heartbeats lost:\n{worker.output()}",
        )
        assert worker.process.poll() is None
        assert not Worker.objects.exists()

        database_answers()

        client = api_client_with_role("viewer")
        listed_again = wait_for(lambda: shown(client, "delta"), timeout=30, what=lambda: worker.output()[-3000:])
        assert listed_again["status"] == "online"
        assert listed_again["pid"] == worker.process.pid
        worker.stop()


@pytest.mark.faults
@pytest.mark.services
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_cut_off_from_the_broker_is_offline_until_it_reconnects(start_celery, tmp_path, settings):
    settings.WORKER_OFFLINE_AFTER_SECONDS = 4
    redis = RedisServer(tmp_path / "redis")  # the worker's broker, of this test's own
    redis.start()
    try:
        worker = start_named_worker(start_celery, "epsilon", queues="default", CELERY_BROKER_URL=redis.url)
        client = api_client_with_role("viewer")
        wait_for(lambda: shown(client, "epsilon"), timeout=30, what=lambda: worker.output()[-3000:])

        redis.stop()
        # The heartbeat comes from the worker's event loop, which waits for the broker meanwhile:
        # the worker cannot take tasks, and the list (read from the database) says so.
        wait_for(lambda: shown(client, "epsilon")["status"] == "offline", timeout=20, what="the worker offline")
        redis.start()

        wait_for(
            lambda: shown(client, "epsilon")["status"] == "online",
            timeout=60,
            what=lambda: f"the worker online again:\n{worker.output()[-3000:]}",
        )
        worker.stop()
    finally:
        redis.stop()

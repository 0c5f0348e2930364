"""Real gunicorn, several workers: /metrics sums every worker's request counts, and the platform's
gauges come from the database once, whichever worker answers the scrape."""

from __future__ import annotations

import shutil
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tests import factories
from tests.conftest import start_gunicorn, subprocess_env, wait_for
from tests.fakes.ports import free_port
from tests.observability.metrics_helpers import total, value

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "scraper-token-0123456789abcdef0123456789"
REQUESTS = 25
REQUEST_COUNTER = "django_http_requests_total_by_view_transport_method_total"


# Straight to the local server, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, token: str | None = None) -> tuple[int, str]:
    """(status, body); status 0 while nothing listens yet."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        request = urllib.request.Request(url, headers=headers)  # noqa: S310  (http://127.0.0.1 only)
        with DIRECT.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError:
        return 0, ""


def live_count_of_each_worker(multiproc_dir: Path, tmp_path: Path) -> list[float]:
    """The health-live request count each worker wrote, read from its own counter file."""
    counts = []
    for index, counter_file in enumerate(sorted(multiproc_dir.glob("counter_*.db"))):
        alone = tmp_path / f"worker-{index}"
        alone.mkdir()
        shutil.copy(counter_file, alone)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        counts.append(total(generate_latest(registry).decode(), REQUEST_COUNTER, view="health-live"))
    return counts


@pytest.fixture
def gunicorn(django_db_blocker, tmp_path):
    multiproc_dir = tmp_path / "prometheus"
    multiproc_dir.mkdir()
    # Left by an earlier run: gunicorn.conf.py must clear it, or it would be summed in.
    (multiproc_dir / "counter_999999.db").write_bytes(b"stale")
    port = free_port()
    with django_db_blocker.unblock():
        env = subprocess_env(
            PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir),
            METRICS_TOKEN=TOKEN,
            WEB_CONCURRENCY="2",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_MAX_REQUESTS="0",
        )
    process = start_gunicorn(env, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    output = lambda: (tmp_path / "gunicorn.log").read_text(errors="replace")  # noqa: E731
    wait_for(
        lambda: process.poll() is not None or http_get(f"{base}/health/live")[0] == 200,
        timeout=60,
        what=output,
    )
    assert process.poll() is None, output()
    yield base, multiproc_dir, port
    process.terminate()
    process.wait(timeout=30)


def test_request_counts_of_every_worker_are_summed_and_gauges_match_the_database(gunicorn, tmp_path):
    base, multiproc_dir, port = gunicorn
    account = factories.provider_account()
    factories.server(account=account, lifecycle="ready", health_status="healthy")
    factories.server(account=account, lifecycle="ready", health_status="healthy")
    factories.server(account=account, lifecycle="failed", health_status="unreachable")
    factories.incident(on=factories.server(account=account), kind="disk_critical", severity="critical")
    # The fixture's readiness probe was the first /health/live request.
    sent = 1

    # A sync worker serves one connection at a time: one that has sent half a request holds its
    # worker, so the requests below go to the other worker, and both end up counting.
    held = socket.create_connection(("127.0.0.1", port), timeout=10)
    held.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for _ in range(REQUESTS - 1):
        assert http_get(f"{base}/health/live")[0] == 200
    held.sendall(b"Connection: close\r\n\r\n")
    assert b" 200 " in held.recv(4096).split(b"\r\n", 1)[0] + b" "
    held.close()
    sent += REQUESTS

    status, page = http_get(f"{base}/metrics", token=TOKEN)

    assert status == 200, page
    assert total(page, REQUEST_COUNTER, view="health-live") == sent
    per_worker = [count for count in live_count_of_each_worker(multiproc_dir, tmp_path) if count]
    assert len(per_worker) >= 2, f"the requests were not spread over the workers: {per_worker}"
    assert sum(per_worker) == sent
    assert value(page, "fleet_servers", lifecycle="ready", health_status="healthy") == 2
    assert value(page, "fleet_servers", lifecycle="failed", health_status="unreachable") == 1
    assert value(page, "fleet_incidents_active", severity="critical", kind="disk_critical", status="open") == 1
    # The gauges are not multiplied by the number of workers.
    assert page.count('fleet_servers{health_status="healthy",lifecycle="ready"}') == 1


def test_gunicorn_metrics_refuse_a_scraper_without_the_token(gunicorn):
    base, _, _ = gunicorn

    status, page = http_get(f"{base}/metrics")

    assert status == 401
    assert "fleet_servers" not in page

"""`make run` on PostgreSQL: the development server does not keep a database connection per request.

runserver handles every request in a thread of its own; a persistent connection (CONN_MAX_AGE)
opened in such a thread is never reused nor closed, so a burst of requests used to leave one idle
connection per request until PostgreSQL refused clients ("too many clients").
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.conftest import REPO_ROOT, subprocess_env, wait_for
from tests.fakes.ports import free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db]
REQUESTS = 50
# runserver's main thread keeps the connection of its start-up checks; nothing else may stay.
MOST_CONNECTIONS_KEPT = 2


def other_connections() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_burst_of_concurrent_requests_leaves_no_idle_connections_behind(tmp_path):
    if connection.vendor != "postgresql":
        pytest.fail("this test needs DATABASE_URL on PostgreSQL (CI's services pass)")
    port = free_port()
    env = subprocess_env()
    env.pop("DATABASE_CONN_MAX_AGE", None)  # the default, as `make run` has it
    log_path = tmp_path / "runserver.log"
    with log_path.open("wb") as log:
        # The Procfile's web process (without the autoreloader's extra parent process).
        web = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ready_url = f"http://127.0.0.1:{port}/health/ready"

        def answering() -> bool:
            assert web.poll() is None, log_path.read_text()
            try:
                return status_of(ready_url) == 200
            except OSError:
                return False

        wait_for(answering, timeout=60, what=lambda: f"runserver to answer:\n{log_path.read_text()[-2000:]}")

        with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
            statuses = list(pool.map(status_of, [ready_url] * REQUESTS))
        assert statuses == [200] * REQUESTS

        time.sleep(1)  # let the last response threads finish
        assert other_connections() <= MOST_CONNECTIONS_KEPT
    finally:
        web.terminate()
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            web.kill()
            web.wait(timeout=10)

"""Failed logins and wrong tokens sent in parallel to a real gunicorn are counted atomically: the limits hold."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.conftest import start_gunicorn, subprocess_env, wait_for
from tests.fakes.ports import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
LOGIN_RATE = "10/min"
AUTH_FAILURE_RATE = "30/min"


def post_login(base: str, username: str, password: str) -> int:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(  # noqa: S310  (http://127.0.0.1 only)
        f"{base}/api/auth/token/", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with DIRECT.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def get_with_token(base: str, token: str) -> int:
    request = urllib.request.Request(f"{base}/api/servers/", headers={"Authorization": f"Token {token}"})  # noqa: S310
    try:
        with DIRECT.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def web(django_db_blocker, tmp_path):
    port = free_port()
    # The counts live in the cache: several processes share them only through Redis (the
    # services pass); the local-memory cache of the SQLite pass is shared by threads of one process.
    shared_cache = settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    with django_db_blocker.unblock():
        env = subprocess_env(
            LOGIN_THROTTLE_RATE=LOGIN_RATE,
            API_THROTTLE_AUTH_FAILURE_RATE=AUTH_FAILURE_RATE,
            WEB_CONCURRENCY="2" if shared_cache else "1",
            GUNICORN_THREADS="10" if shared_cache else "20",
            GUNICORN_BIND=f"127.0.0.1:{port}",
        )
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(env, log)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with DIRECT.open(f"{base}/health/live", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(lambda: process.poll() is not None or answers(), timeout=60, what=lambda: log.read_text())
        assert process.poll() is None, log.read_text()
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_forty_parallel_wrong_passwords_mostly_get_429_and_never_500(web):
    base, log = web
    get_user_model().objects.create_user(username="vera", password="a-long-enough-password")

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: post_login(base, "vera", "wrong"), range(40)))

    assert 500 not in statuses, log.read_text()[-4000:]
    assert set(statuses) <= {400, 429}, statuses
    # 10 attempts a minute from this address and for this username: 30 of the 40 are refused.
    assert statuses.count(429) >= 25, statuses
    assert statuses.count(400) <= 10, statuses


def test_a_hundred_and_fifty_parallel_wrong_tokens_mostly_get_429_and_never_500(web):
    base, log = web

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda n: get_with_token(base, f"fleet_guess{n}"), range(150)))

    assert 500 not in statuses, log.read_text()[-4000:]
    assert set(statuses) <= {401, 429}, statuses
    # 30 failures a minute from this address, plus at most the requests already in flight.
    assert statuses.count(401) <= 30 + 20, statuses
    assert statuses.count(429) >= 100, statuses

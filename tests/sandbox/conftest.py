"""Fixtures for the sandbox provider: its API over real HTTP (pytest-django's live_server).

live_server runs in this process, so `settings` overrides made in a test apply to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

USERNAME = "sandbox-tests@example.com"
PASSWORD = "sandbox-tests-password"
TIMEOUT = 10


class SandboxApi:
    """A tiny client: the same paths, auth and JSON bodies the platform's Time4VPS client uses."""

    def __init__(self, base_url: str, auth: tuple[str, str] | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.auth = auth

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.base_url + path, timeout=TIMEOUT, **kwargs)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=TIMEOUT, **kwargs)


@pytest.fixture
def sandbox_settings(settings):
    """Known credentials, five servers and slow tasks, whatever the environment says."""
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_USERNAME = USERNAME
    settings.SANDBOX_PASSWORD = PASSWORD
    settings.SANDBOX_SERVER_COUNT = 5
    settings.SANDBOX_TASK_SECONDS = 60
    return settings


@pytest.fixture
def sandbox_url(live_server, sandbox_settings) -> str:
    return f"{live_server.url}/sandbox/api"


@pytest.fixture
def api(sandbox_url) -> SandboxApi:
    return SandboxApi(sandbox_url, auth=(USERNAME, PASSWORD))


@pytest.fixture
def anonymous_api(sandbox_url) -> SandboxApi:
    return SandboxApi(sandbox_url, auth=None)


def wait_until(condition: Callable[[], object], *, timeout: float = 10, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")

"""pytest fixtures of the fakes (registered in tests/conftest.py through pytest_plugins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.hetzner_cloud import FakeHetznerCloud
from tests.fakes.llm_server import FakeLLM
from tests.fakes.ports import free_port
from tests.fakes.sshd import Tarpit, TestSshd
from tests.fakes.time4vps_provider import FakeTime4VPS
from tests.fakes.webhook_receiver import WebhookReceiver


@pytest.fixture
def fake_provider() -> Iterator[FakeTime4VPS]:
    """A started fake Time4VPS API on loopback (3 servers, tasks done at once); stopped after the test.

    See tests/fakes/time4vps_provider.py for its controls (fail, requests, servers, task_seconds...).
    """
    provider = FakeTime4VPS().start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def fake_hetzner() -> Iterator[FakeHetznerCloud]:
    """A started fake Hetzner Cloud API on loopback (3 servers, actions done at once); stopped after
    the test. See tests/fakes/hetzner_cloud.py for its controls."""
    provider = FakeHetznerCloud().start()
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def sshd() -> Iterator[TestSshd]:
    """A real OpenSSH sshd on loopback for the session (see tests/fakes/sshd.py): host, port, username,
    private_key, host_key_line, home, rotate_host_key(). Fails when openssh-server is not installed."""
    try:
        server = TestSshd()
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield server.start()
    finally:
        server.cleanup()


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    """host and port of a loopback listener that accepts TCP connections and never answers."""
    listener = Tarpit()
    try:
        yield listener
    finally:
        listener.stop()


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    return free_port()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A started loopback HTTP receiver of webhooks, Slack and Telegram calls; stopped after the test.

    See tests/fakes/webhook_receiver.py: url, requests (method, path, headers, body bytes),
    fail_with(status, times=..., body=..., description=...), stop().
    """
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A started fake chat model on loopback (OpenAI and Anthropic protocols); stopped after the test.

    See tests/fakes/llm_server.py: openai_url, anthropic_url, api_key, script(...), repeat(...),
    fail(status, times=...), slow(seconds, times=...), requests.
    """
    llm = FakeLLM().start()
    try:
        yield llm
    finally:
        llm.stop()

"""MCP server tests: real `manage.py mcp` processes on the test database, and the SDK's client.

The servers live for the session (one per distinct environment), so each test pays only for its
requests; they read whatever the current test committed (transactional tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from apps.access.models import ApiToken
from apps.access.services import token_create
from tests.conftest import purge_queues, subprocess_env
from tests.mcp_server.process import McpProcess
from tests.roles import user_with_role

ROLES = ("viewer", "operator", "admin")


@pytest.fixture(scope="session")
def mcp_servers(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Callable[..., McpProcess]]:
    """start(**env) -> a running MCP server with those settings, the same one for the same settings.
    All of them stop at the end of the session (before the test database goes)."""
    running: dict[tuple, McpProcess] = {}
    logs = tmp_path_factory.mktemp("mcp")

    def start(**env: str) -> McpProcess:
        key = tuple(sorted(env.items()))
        if key not in running:
            with django_db_blocker.unblock():
                process_env = subprocess_env(**env)
            running[key] = McpProcess(process_env, logs / f"mcp-{len(running)}.log")
        return running[key]

    yield start
    for process in running.values():
        process.stop()


@pytest.fixture
def fresh_mcp(django_db_blocker, tmp_path) -> Iterator[Callable[..., McpProcess]]:
    """start(**env) -> an MCP server of this test alone, stopped after it.

    For the tools that record sync runs: a transactional test's flush recreates the content types
    under new ids, and a server that outlived the flush still has the old ones cached (a test-only
    effect: content types never change under a running platform).
    """
    started: list[McpProcess] = []

    def start(**env: str) -> McpProcess:
        with django_db_blocker.unblock():
            process_env = subprocess_env(**env)
        started.append(McpProcess(process_env, tmp_path / f"mcp-{len(started)}.log"))
        return started[-1]

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def mcp(mcp_servers) -> McpProcess:
    """The MCP server with write tools on."""
    return mcp_servers(MCP_ALLOW_WRITE="true")


@pytest.fixture
def mcp_read_only(mcp_servers) -> McpProcess:
    """The MCP server as it starts by default: write tools off."""
    return mcp_servers(MCP_ALLOW_WRITE="false")


_usernames = count(1)


def token_for(role: str | None, *, username: str | None = None) -> str:
    """A personal API token of a new user with `role` (None: a user with no role)."""
    name = username or f"{role or 'norole'}-{next(_usernames)}"
    if role is None:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user(username=name, is_staff=True)
    else:
        user = user_with_role(role, name)
    _token, value = token_create(user=user, name="mcp client")
    return value


def expire(token_value: str) -> None:
    ApiToken.objects.filter(token_key=token_value[:15]).update(expiry=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def clean_broker():
    """Tools that queue work leave messages in the test broker: none is left for the next test."""
    purge_queues()
    yield
    purge_queues()

"""Provisioning tests: the sandbox provider over real HTTP, the test sshd as the target host,
test playbooks (tests/provisioning/playbooks/) on the allowlist, and short waits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from apps.core.choices import Trigger
from apps.integrations.providers.time4vps import circuit_reset
from apps.servers.choices import Connection, Lifecycle, ProviderKind
from apps.servers.models import ProviderAccount, Server
from apps.servers.services import server_sync_now, ssh_key_create

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
TEST_PLAYBOOKS = ["sandbox.yml", "ok.yml", "fails.yml", "slow.yml", "bench.yml"]

# Settings shared by this process (requests, the sandbox served by live_server) and the workers
# the tests start (as environment variables).
FAST = {
    "ANSIBLE_PLAYBOOK_DIR": str(PLAYBOOKS),
    "PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST": ",".join(TEST_PLAYBOOKS),
    "PROVISIONING_DEFAULT_PLAYBOOK": "ok.yml",
    "PROVISIONING_POLL_FIRST_SECONDS": "0.3",
    "PROVISIONING_POLL_MAX_SECONDS": "1",
    "PROVISIONING_RETRY_BACKOFF_SECONDS": "0.5",
    "PROVISIONING_SSH_CONNECT_TIMEOUT_SECONDS": "3",
    "HEALTH_CONNECT_TIMEOUT_SECONDS": "3",
    "PROVIDER_RETRY_MAX_WAIT_SECONDS": "0.05",
}


def apply_to_settings(settings, values: dict[str, str]) -> None:
    for name, value in values.items():
        current = getattr(django_settings, name)
        if isinstance(current, list):
            converted = value.split(",")
        elif isinstance(current, Path):
            converted = Path(value)
        else:
            converted = type(current)(value)
        setattr(settings, name, converted)


@pytest.fixture
def fast_provisioning(settings):
    """The FAST settings in this process; returns them for the worker's environment."""
    apply_to_settings(settings, FAST)
    return dict(FAST)


@pytest.fixture
def sandbox_account(settings, live_server, fast_provisioning):
    """A sandbox provider account served over real HTTP (3 servers, tasks done after 0.5 s), synced."""
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_SERVER_COUNT = 3
    settings.SANDBOX_TASK_SECONDS = 0.5
    account = ProviderAccount.objects.create(
        name="sandbox",
        kind=ProviderKind.SANDBOX,
        base_url=f"{live_server.url}/sandbox/api",
        username=settings.SANDBOX_USERNAME,
        password=settings.SANDBOX_PASSWORD,
    )
    run = server_sync_now(account=account, trigger=Trigger.OPERATOR)
    assert run.status == "succeeded", run.error
    yield account
    circuit_reset(account.circuit_key)


@pytest.fixture
def ssh_server(sandbox_account, sshd):
    """A sandbox server whose SSH settings point at the test sshd, with the sshd's key as default key.

    The test playbooks write under the test user's ~/provisioning-test/, emptied before and after.
    """
    marker_dir = sshd.home / "provisioning-test"
    shutil.rmtree(marker_dir, ignore_errors=True)
    yield _point_at_sshd(sandbox_account, sshd)
    shutil.rmtree(marker_dir, ignore_errors=True)


def _point_at_sshd(sandbox_account, sshd) -> Server:
    ssh_key_create(name="platform", private_key=sshd.private_key, is_default=True)
    server = Server.objects.filter(provider_account=sandbox_account).order_by("provider_id").first()
    Server.objects.filter(pk=server.pk).update(
        connection=Connection.SSH,
        ssh_host=sshd.host,
        ssh_port=sshd.port,
        ssh_user=sshd.username,
        lifecycle=Lifecycle.DISCOVERED,
    )
    server.refresh_from_db()
    return server


@pytest.fixture
def local_server(sandbox_account):
    """A sandbox server as `make run` has it: the local connection."""
    return Server.objects.filter(provider_account=sandbox_account).order_by("provider_id").last()

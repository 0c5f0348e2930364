"""Jobs tests: the sandbox provider's servers pointed at the test sshd (several inventory hosts
reaching one sshd), the jobs test playbooks (tests/jobs/playbooks/) on the allowlist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from apps.servers.choices import Connection, Lifecycle
from apps.servers.models import Server
from apps.servers.services import ssh_key_create
from tests.provisioning.conftest import FAST, apply_to_settings, sandbox_account  # noqa: F401 (fixtures)

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
JOB_PLAYBOOKS = ["hello.yml", "fails_on_one.yml", "slow_job.yml", "host_goes_away.yml"]
JOBS_FAST = {
    **FAST,
    "ANSIBLE_PLAYBOOK_DIR": str(PLAYBOOKS),
    "PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST": ",".join(JOB_PLAYBOOKS),
    "PROVISIONING_LEASE_SECONDS": "6",
    "JOBS_QUEUED_STALL_SECONDS": "300",
}


@pytest.fixture
def fast_provisioning(settings):
    apply_to_settings(settings, JOBS_FAST)
    return dict(JOBS_FAST)


@pytest.fixture
def fleet(sandbox_account, sshd):  # noqa: F811
    """The sandbox account's three servers, ready, each reaching the test sshd with its pinned key;
    the first two labelled role=web. Markers go to the test user's ~/jobs-test/."""
    marker_dir = sshd.home / "jobs-test"
    shutil.rmtree(marker_dir, ignore_errors=True)
    ssh_key_create(name="platform", private_key=sshd.private_key, is_default=True)
    servers = list(Server.objects.filter(provider_account=sandbox_account).order_by("provider_id"))
    for position, server in enumerate(servers):
        Server.objects.filter(pk=server.pk).update(
            connection=Connection.SSH,
            ssh_host=sshd.host,
            ssh_port=sshd.port,
            ssh_user=sshd.username,
            host_key=sshd.host_key_line,
            lifecycle=Lifecycle.READY,
            labels={"role": "web"} if position < 2 else {"role": "db"},
        )
    yield [Server.objects.get(pk=server.pk) for server in servers]
    shutil.rmtree(marker_dir, ignore_errors=True)

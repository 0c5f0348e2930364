"""A full provisioning chain on a Hetzner Cloud server through a real worker: the fake Hetzner Cloud
API over HTTP (actions followed to `success`), the test sshd as the server, ansible-runner."""

from __future__ import annotations

import pytest

from apps.core.choices import Trigger
from apps.provisioning.choices import PhaseStatus, RunStatus
from apps.provisioning.services import provision_request
from apps.servers.choices import Connection, Lifecycle, RootPasswordState
from apps.servers.models import Server, SshKey
from apps.servers.services import provider_account_create, server_sync_now, ssh_key_create
from tests.fakes.sshd import TestSshd
from tests.provisioning.helpers import run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hetzner_server(fake_hetzner, sshd, fast_provisioning):
    fake_hetzner.action_seconds = 0.5  # polled a few times, as a real rebuild is
    account = provider_account_create(
        data={"name": "hetzner", "kind": "hetzner", "api_token": fake_hetzner.token, "base_url": fake_hetzner.base_url}
    )
    assert server_sync_now(account=account, trigger=Trigger.OPERATOR).status == "succeeded"
    ssh_key_create(name="platform", private_key=sshd.private_key, is_default=True)
    server = Server.objects.get(provider_account=account, provider_id="4201001")
    Server.objects.filter(pk=server.pk).update(
        connection=Connection.SSH, ssh_host=sshd.host, ssh_port=sshd.port, ssh_user=sshd.username
    )
    server.refresh_from_db()
    return server


def test_a_hetzner_server_is_rebuilt_once_and_taken_to_ready(
    hetzner_server, fake_hetzner, sshd, start_celery, fast_provisioning
):
    worker = start_provisioning_worker(start_celery, fast_provisioning)
    run = provision_request(server=hetzner_server, os_template="ubuntu-24.04", playbook="ok.yml", confirm=True)

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    assert [(p.phase, p.status) for p in run.phases.order_by("position")] == [
        ("access", PhaseStatus.SUCCEEDED),
        ("reinstall", PhaseStatus.SUCCEEDED),
        ("wait_for_ssh", PhaseStatus.SUCCEEDED),
        ("ansible", PhaseStatus.SUCCEEDED),
        ("finalize", PhaseStatus.SUCCEEDED),
    ]
    assert fake_hetzner.rebuild_calls(4201001) == 1
    assert fake_hetzner.reset_calls(4201001) == 1
    rebuild = next(action for action in fake_hetzner.actions.values() if action.command == "rebuild_server")
    # The platform's key went in as cloud-init user data; the rebuild's password is the one kept.
    assert SshKey.objects.get(is_default=True).public_key.split()[1] in fake_hetzner.last_user_data[4201001]
    server = Server.objects.get(pk=hetzner_server.pk)
    assert server.root_password == fake_hetzner.passwords[rebuild.id]
    assert server.root_password_state == RootPasswordState.CURRENT
    assert server.lifecycle == Lifecycle.READY
    assert server.host_key == sshd.host_key_line
    assert fake_hetzner.servers[4201001]["image"]["name"] == "ubuntu-24.04"


@pytest.fixture
def rebuilt_without_key(fake_hetzner, sshd, fast_provisioning):
    """A Hetzner server whose rebuild let no key in: its own sshd accepts only the root password
    the provider handed out (and keys the user adds to ~/.ssh/authorized_keys)."""
    password = "Rebuilt-Pa55-" + "x" * 8
    fake_hetzner.root_password = password
    bare = TestSshd(password=password)
    try:
        bare.start()
        account = provider_account_create(
            data={"name": "h2", "kind": "hetzner", "api_token": fake_hetzner.token, "base_url": fake_hetzner.base_url}
        )
        assert server_sync_now(account=account, trigger=Trigger.OPERATOR).status == "succeeded"
        ssh_key_create(name="platform", private_key=bare.private_key, is_default=True)
        server = Server.objects.get(provider_account=account, provider_id="4201002")
        Server.objects.filter(pk=server.pk).update(
            connection=Connection.SSH, ssh_host=bare.host, ssh_port=bare.port, ssh_user=bare.username
        )
        yield bare, Server.objects.get(pk=server.pk)
    finally:
        bare.cleanup()


def test_where_the_rebuild_let_no_key_in_the_chain_installs_it_with_the_root_password(
    rebuilt_without_key, fake_hetzner, start_celery, fast_provisioning
):
    bare, server = rebuilt_without_key
    worker = start_provisioning_worker(start_celery, fast_provisioning)
    run = provision_request(server=server, os_template="debian-12", playbook="ok.yml", confirm=True)

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    assert run.phases.get(phase="wait_for_ssh").detail["key_installed_with_password"] is True
    installed = (bare.home / ".ssh" / "authorized_keys").read_text()
    assert SshKey.objects.get(is_default=True).public_key.strip() in installed.splitlines()
    server.refresh_from_db()
    assert server.lifecycle == Lifecycle.READY
    assert server.host_key == bare.host_key_line

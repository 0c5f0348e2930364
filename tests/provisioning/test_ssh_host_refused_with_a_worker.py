"""An SSH host written around the validator (a raw UPDATE, an old row) never reaches SSH or
Ansible: the provisioning phases refuse it at run time, through a real worker, and say why."""

from __future__ import annotations

import pytest

from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.services import playbook_run_request, provision_request
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from tests.provisioning.helpers import OS, run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def injected(ssh_server, tmp_path):
    """The server's SSH host set, bypassing every form, to an option that would create a file."""
    marker = tmp_path / "injected"
    Server.objects.filter(pk=ssh_server.pk).update(ssh_host=f"-oProxyCommand=touch {marker}")
    ssh_server.refresh_from_db()
    return ssh_server, marker


def test_wait_for_ssh_refuses_an_option_as_address_without_waiting_for_it(injected, start_celery, fast_provisioning):
    server, marker = injected
    worker = start_provisioning_worker(start_celery, fast_provisioning)
    run = provision_request(server=server, os_template=OS, playbook="ok.yml", confirm=True)

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.FAILED, run_output(run)
    assert run.phase == Phase.WAIT_FOR_SSH
    assert f"refusing the SSH address '-oProxyCommand=touch {marker}'" in run.error
    assert "IP address or a host name" in run.error
    assert run.phases.get(phase=Phase.WAIT_FOR_SSH).attempts == 1  # refused at once, not retried to a deadline
    assert not marker.exists()


def test_the_ansible_phase_refuses_an_option_as_address(injected, sshd, start_celery, fast_provisioning):
    server, marker = injected
    Server.objects.filter(pk=server.pk).update(lifecycle=Lifecycle.READY, host_key=sshd.host_key_line)
    server.refresh_from_db()
    worker = start_provisioning_worker(start_celery, fast_provisioning)
    run = playbook_run_request(server=server, playbook="ok.yml")

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.FAILED, run_output(run)
    assert run.phase == Phase.ANSIBLE
    assert f"refusing the SSH address '-oProxyCommand=touch {marker}'" in run.error
    assert not run.events.exists()  # ansible-playbook never started
    assert not marker.exists()

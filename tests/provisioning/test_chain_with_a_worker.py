"""Provisioning chains through a real Celery worker: the sandbox provider, the test sshd, ansible-runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.provisioning.choices import PhaseStatus, RunStatus
from apps.provisioning.services import provision_request
from apps.servers.choices import Lifecycle
from tests.provisioning.helpers import OS, reinstall_calls, run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(start_celery, fast_provisioning):
    return start_provisioning_worker(start_celery, fast_provisioning)


def test_a_full_chain_takes_a_server_to_ready_with_a_real_playbook_run(ssh_server, sshd, worker):
    run = provision_request(server=ssh_server, os_template=OS, playbook="ok.yml", confirm=True)

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.READY
    assert ssh_server.host_key == sshd.host_key_line
    assert ssh_server.root_password  # the reset's (or the reinstall's) password, stored encrypted
    phases = list(run.phases.order_by("position"))
    assert [(p.phase, p.status, p.attempts) for p in phases] == [
        ("access", PhaseStatus.SUCCEEDED, 1),
        ("reinstall", PhaseStatus.SUCCEEDED, 1),
        ("wait_for_ssh", PhaseStatus.SUCCEEDED, 1),
        ("ansible", PhaseStatus.SUCCEEDED, 1),
        ("finalize", PhaseStatus.SUCCEEDED, 1),
    ]
    assert all(p.started_at and p.finished_at for p in phases)
    (host_stats,) = run.stats.values()
    assert host_stats["failed"] == 0
    assert host_stats["unreachable"] == 0
    assert host_stats["changed"] >= 1
    events = list(run.events.order_by("seq"))
    assert [e.seq for e in events] == sorted({e.seq for e in events})
    names = [e.event for e in events]
    assert "playbook_on_start" in names
    assert names[-1] == "playbook_on_stats"
    assert any("Write the marker file" in e.stdout for e in events)
    marker = sshd.home / "provisioning-test" / f"run-{run.pk}.txt"
    assert marker.read_text().strip() == str(run.pk)
    assert reinstall_calls(ssh_server) == 1


def test_a_local_sandbox_server_is_provisioned_end_to_end_with_the_sandbox_playbook(
    local_server, start_celery, fast_provisioning, settings
):
    """What `make run` does: the sandbox provider's phases, then sandbox.yml on this machine,
    writing under the platform's var/ only."""
    platform_playbooks = settings.BASE_DIR / "platform" / "ansible"
    settings.ANSIBLE_PLAYBOOK_DIR = platform_playbooks
    worker = start_provisioning_worker(
        start_celery, {**fast_provisioning, "ANSIBLE_PLAYBOOK_DIR": str(platform_playbooks)}
    )
    summary = Path(settings.VAR_DIR).resolve() / "sandbox-hosts" / f"{local_server.hostname}.json"
    summary.unlink(missing_ok=True)

    run = provision_request(server=local_server, os_template=OS, confirm=True)
    assert run.playbook == "sandbox.yml"  # the default for the local connection
    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    local_server.refresh_from_db()
    assert local_server.lifecycle == Lifecycle.READY
    assert json.loads(summary.read_text())["run_id"] == run.pk
    assert reinstall_calls(local_server) == 1
    summary.unlink()

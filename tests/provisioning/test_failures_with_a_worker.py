"""What goes wrong, through a real worker: provider tasks that never end, SSH that never comes
back, failing playbooks, cancels, retries — each leaving a clear record and no stuck server."""

from __future__ import annotations

import pytest

from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, IncidentKind
from apps.monitoring.models import Incident
from apps.provisioning.choices import Phase, PhaseStatus, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import provision_request, run_cancel, run_retry
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from tests.conftest import wait_for
from tests.fakes.processes import group_alive
from tests.provisioning.helpers import OS, reinstall_calls, run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def open_provisioning_incident(server: Server) -> Incident | None:
    return Incident.objects.filter(
        server=server, kind=IncidentKind.PROVISIONING_FAILED, status__in=ACTIVE_INCIDENT_STATUSES
    ).first()


def test_a_reinstall_that_never_completes_fails_the_run_at_its_deadline_and_opens_an_incident(
    ssh_server, start_celery, fast_provisioning, settings
):
    worker = start_provisioning_worker(
        start_celery, {**fast_provisioning, "PROVISIONING_REINSTALL_DEADLINE_SECONDS": "4"}
    )
    run = provision_request(server=ssh_server, os_template=OS, playbook="ok.yml", confirm=True)
    wait_for(lambda: ProvisioningRun.objects.get(pk=run.pk).phase == Phase.REINSTALL, timeout=60, what="reinstall")
    settings.SANDBOX_TASK_SECONDS = 3600  # the sandbox's reinstall task now never completes

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.FAILED
    assert "did not complete within 4s" in run.error, run_output(run)
    reinstall = run.phases.get(phase=Phase.REINSTALL)
    assert reinstall.status == PhaseStatus.FAILED
    assert reinstall.provider_task_id
    assert reinstall.attempts == 1  # a deadline is final: no blind retry of a wipe
    assert reinstall_calls(ssh_server) == 1
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.FAILED
    assert f"run #{run.pk} failed" in ssh_server.lifecycle_reason
    incident = open_provisioning_incident(ssh_server)
    assert incident is not None
    assert "did not complete" in incident.message


def test_ssh_that_never_comes_back_fails_the_run_and_a_retry_resumes_without_reinstalling(
    ssh_server, sshd, closed_port, start_celery, fast_provisioning
):
    worker = start_provisioning_worker(start_celery, {**fast_provisioning, "PROVISIONING_SSH_DEADLINE_SECONDS": "3"})
    Server.objects.filter(pk=ssh_server.pk).update(ssh_port=closed_port)
    run = provision_request(server=ssh_server, os_template=OS, playbook="ok.yml", confirm=True)

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.FAILED
    assert run.phase == Phase.WAIT_FOR_SSH
    assert "SSH did not let the platform's key in within 3s" in run.error
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.FAILED
    assert open_provisioning_incident(ssh_server) is not None

    # The operator fixes the port and retries: the run resumes at wait_for_ssh.
    Server.objects.filter(pk=ssh_server.pk).update(ssh_port=sshd.port)
    run_retry(run=run)
    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    assert reinstall_calls(ssh_server) == 1
    assert run.phases.get(phase=Phase.REINSTALL).attempts == 1
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.READY
    assert ssh_server.lifecycle_reason == ""
    assert open_provisioning_incident(ssh_server) is None  # resolved by the success


def test_a_playbook_that_fails_on_a_task_fails_the_run_with_its_output_and_stats(
    ssh_server, start_celery, fast_provisioning
):
    worker = start_provisioning_worker(start_celery, fast_provisioning)
    run = provision_request(server=ssh_server, os_template=OS, playbook="fails.yml", confirm=True)

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.FAILED
    assert run.phase == Phase.ANSIBLE
    assert "provisioning test failure" in run.error, run_output(run)
    (host_stats,) = run.stats.values()
    assert host_stats["failed"] == 1
    assert host_stats["ok"] >= 1
    failed_events = run.events.filter(failed=True)
    assert failed_events.count() == 1
    assert "provisioning test failure" in failed_events.get().stdout
    assert run.phases.get(phase=Phase.ANSIBLE).attempts == 1  # a failing task is not retried blindly
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.FAILED


def test_cancel_during_the_playbook_stops_it_within_seconds(ssh_server, sshd, start_celery, fast_provisioning):
    worker = start_provisioning_worker(start_celery, {**fast_provisioning, "PROVISIONING_TEST_SLOW_SECONDS": "120"})
    run = provision_request(server=ssh_server, os_template=OS, playbook="slow.yml", confirm=True)
    started = sshd.home / "provisioning-test" / f"slow-started-{run.pk}"
    wait_for(started.exists, timeout=90, what=lambda: f"the slow playbook to start:\n{worker.output()[-3000:]}")

    run.refresh_from_db()
    playbook_group = run.ansible_process["pgid"]
    run_cancel(run=ProvisioningRun.objects.get(pk=run.pk))

    # The canceled attempt no longer owns the run: its cancel callback stops the playbook, and
    # it records nothing more (the run's record is the cancel's).
    wait_for(lambda: not group_alive(playbook_group), timeout=20, what="the playbook to stop")
    wait_for(lambda: "provisioning_phase_superseded" in worker.output(), timeout=20, what="the attempt to stop")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert run.phases.get(phase=Phase.ANSIBLE).status == PhaseStatus.CANCELED
    assert not (sshd.home / "provisioning-test" / f"slow-done-{run.pk}").exists()
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.FAILED  # wiped but not configured
    assert "canceled after the reinstall" in ssh_server.lifecycle_reason

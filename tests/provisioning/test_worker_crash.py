"""A worker killed with SIGKILL in the middle of the Ansible phase: a new worker resumes the run
from its recorded phase within a minute, stops the orphaned ansible-playbook first, removes what
the killed attempt left on disk, and never reinstalls twice."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import provision_request
from apps.servers.choices import Lifecycle
from tests.conftest import wait_for
from tests.fakes.processes import children_of, group_alive
from tests.faults.conftest import write_figures
from tests.provisioning.helpers import OS, reinstall_calls, run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_during_ansible_is_resumed_by_the_next_worker_without_a_second_reinstall(
    ssh_server, sshd, start_celery, fast_provisioning, settings
):
    # The first attempt's slow task outlasts the stall and a worker's start however loaded the
    # machine, so the orphaned playbook is still running when the next worker takes over; the
    # second attempt, under the next worker, is quick. slow.yml marks its start from inside the
    # sleep, so the kill below never leaves the orphan output to print (it would die at that write).
    env = dict(fast_provisioning)
    first = start_provisioning_worker(start_celery, {**env, "PROVISIONING_TEST_SLOW_SECONDS": "90"})
    run = provision_request(server=ssh_server, os_template=OS, playbook="slow.yml", confirm=True)
    started = sshd.home / "provisioning-test" / f"slow-started-{run.pk}"
    wait_for(started.exists, timeout=90, what=lambda: f"the playbook to start:\n{first.output()[-3000:]}")
    run.refresh_from_db()
    assert run.phase == Phase.ANSIBLE
    assert run.ansible_process
    orphan_group = run.ansible_process["pgid"]

    # The whole worker dies at once: the main process and its pool child, like an OOM kill.
    for pid in [first.process.pid, *children_of(first.process.pid)]:
        os.kill(pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    assert group_alive(orphan_group)  # ansible-playbook runs in its own session: still alive
    leftovers = sorted(p.name for p in (Path(settings.VAR_DIR) / "provisioning").glob(f"*-{run.pk}-*"))
    assert [name.split("-")[0] for name in leftovers] == ["ansible", "run"]

    # The run's holder was the killed pool process on this machine: the next worker's start knows
    # it is gone and resumes the run at once, long before its lease (30 s) would run out.
    second = start_provisioning_worker(start_celery, {**env, "PROVISIONING_TEST_SLOW_SECONDS": "2"})
    started_at = time.monotonic()
    wait_for(
        lambda: ProvisioningRun.objects.get(pk=run.pk).token == 2,
        timeout=60,
        what=lambda: f"the resume within 60 s:\n{second.output()[-3000:]}",
    )
    resumed_after = time.monotonic() - started_at
    run = wait_finished(run.pk, second, timeout=120)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    assert reinstall_calls(ssh_server) == 1
    ansible = run.phases.get(phase=Phase.ANSIBLE)
    assert ansible.attempts == 2
    assert [p.attempts for p in run.phases.exclude(phase=Phase.ANSIBLE)] == [1, 1, 1, 1]
    assert not group_alive(orphan_group)
    assert "ansible_process_stopped" in second.output()  # stopped before the second attempt began
    assert run.events.filter(attempt=1).exists()
    assert run.events.filter(attempt=2).exists()
    assert (sshd.home / "provisioning-test" / f"slow-done-{run.pk}").exists()
    assert resumed_after < 60
    write_figures("worker_killed_run_resumed", {"resumed_after_worker_start_seconds": round(resumed_after, 1)})
    assert not list((Path(settings.VAR_DIR) / "provisioning").glob(f"*-{run.pk}-*"))  # nothing left behind
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.READY

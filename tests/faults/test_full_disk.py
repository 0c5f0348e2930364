"""A full disk, or an unwritable one, under the Ansible phase's work directory (a small tmpfs the
test mounts at the worker's VAR_DIR/provisioning): the run fails at once with that reason, the
server is not marked ready, an incident is opened; once the disk is fixed a retry finishes the
run. Nothing stays mounted, whatever happens."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, IncidentKind
from apps.monitoring.models import Incident
from apps.provisioning.choices import Phase, PhaseStatus, RunStatus
from apps.provisioning.services import provision_request, run_retry
from apps.servers.choices import Lifecycle
from tests.faults.db_helpers import fill, mount_tmpfs, mounted, record_figures, unmount

# The provisioning fixtures (a sandbox account over HTTP, a server on the test sshd, fast settings),
# imported so pytest finds them here; the tests' arguments then shadow the imported names.
# ruff: noqa: F811
from tests.provisioning.conftest import fast_provisioning, sandbox_account, ssh_server  # noqa: F401
from tests.provisioning.helpers import OS, reinstall_calls, run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# fault -> what the run's error must say. "full": no room left before the run starts; "fills up":
# room to start, too little to finish (a 256 KiB disk: the run's own files fill it).
ERRORS = {
    "full": "cannot prepare the Ansible run: No space left on device",
    "fills up": "ansible-playbook stopped: [Errno 28] No space left on device",
    "read-only": "cannot prepare the Ansible run: Read-only file system",
}
NO_SPACE, READ_ONLY = "No space left on device", "Read-only file system"
REASONS = {"full": NO_SPACE, "fills up": NO_SPACE, "read-only": READ_ONLY}


@pytest.fixture
def worker_var_dir():
    """The worker's own VAR_DIR; its `provisioning/` (Ansible's work directory) is mounted by the test.

    A short path: ssh's ControlPath socket lives under it, and a socket path is limited to 108 bytes.
    """
    var_dir = Path(tempfile.mkdtemp(prefix="fault-var-", dir="/tmp"))
    work_dir = var_dir / "provisioning"
    work_dir.mkdir()
    yield var_dir
    unmount(work_dir)
    assert not mounted(work_dir), "the tmpfs is still mounted"
    shutil.rmtree(var_dir)


def break_disk(work_dir: Path, fault: str) -> int:
    """Mount the fault at `work_dir`; returns the bytes the filler took."""
    if fault == "read-only":
        mount_tmpfs(work_dir, size="8m", read_only=True)
        return 0
    if fault == "fills up":
        mount_tmpfs(work_dir, size="256k")
        return 0
    mount_tmpfs(work_dir, size="8m")
    return fill(work_dir)


def fix_disk(work_dir: Path, fault: str) -> None:
    if fault == "full":
        (work_dir / "filler").unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw,size=8m", str(work_dir)], check=True, timeout=30)


@pytest.mark.parametrize("fault", ["full", "fills up", "read-only"])
def test_a_full_or_read_only_work_directory_fails_the_ansible_phase_and_the_server_is_not_ready(
    fault,
    ssh_server,
    start_celery,
    fast_provisioning,
    worker_var_dir,
):
    work_dir = worker_var_dir / "provisioning"
    filled = break_disk(work_dir, fault)
    worker = start_provisioning_worker(
        start_celery,
        # Its own VAR_DIR, the suite's broker directory (used only with the filesystem broker).
        {**fast_provisioning, "VAR_DIR": str(worker_var_dir), "CELERY_BROKER_DIR": str(settings.CELERY_BROKER_DIR)},
    )
    started = time.monotonic()
    run = provision_request(server=ssh_server, os_template=OS, playbook="ok.yml", confirm=True)
    run = wait_finished(run.pk, worker)
    failed_after = time.monotonic() - started

    reason = REASONS[fault]
    assert run.status == RunStatus.FAILED, run_output(run)
    assert run.phase == Phase.ANSIBLE
    assert ERRORS[fault] in run.error, run_output(run)
    ansible = run.phases.get(phase=Phase.ANSIBLE)
    assert ansible.status == PhaseStatus.FAILED
    assert ansible.attempts == 1  # a disk that is full stays full: no blind retries
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.FAILED
    assert ssh_server.lifecycle_reason == f"provisioning run #{run.pk} failed: {run.error}"
    assert reason in run.error
    incident = Incident.objects.get(
        server=ssh_server, kind=IncidentKind.PROVISIONING_FAILED, status__in=ACTIVE_INCIDENT_STATUSES
    )
    assert reason in incident.message
    assert [path.name for path in work_dir.iterdir()] == (["filler"] if fault == "full" else [])

    # The operator frees the disk and retries: the run resumes at the Ansible phase.
    fix_disk(work_dir, fault)
    run_retry(run=run)
    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    assert reinstall_calls(ssh_server) == 1
    ssh_server.refresh_from_db()
    assert ssh_server.lifecycle == Lifecycle.READY
    incident.refresh_from_db()
    assert incident.status not in ACTIVE_INCIDENT_STATUSES
    assert list(work_dir.iterdir()) == []  # the run's private directories are gone
    record_figures(
        f"full_disk_{fault.replace('-', '_').replace(' ', '_')}",
        {"fault": fault, "bytes_filled": filled, "failed_after_s": round(failed_after, 1), "ansible_attempts": 1},
    )

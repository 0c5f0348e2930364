"""A worker frozen in the middle of a phase (SIGSTOP of its process group: a paused VM, `docker
pause`, Ctrl-Z) while another worker finishes the run: when it wakes it does nothing more.

The frozen worker's lease runs out (6 s here), a second worker takes the run over and finishes
it; the first is then resumed (SIGCONT) and finds its attempt superseded at its next fenced step.
The provider saw one password reset and one reinstall; nothing the finished run recorded changes.
Each phase is frozen at a point just before its effect: a provider request held by a proxy in
front of the sandbox, an SSH connection held by a proxy in front of the test sshd, or the playbook
running.
"""

from __future__ import annotations

import time

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import provision_request
from apps.servers.choices import Lifecycle
from apps.servers.models import ProviderAccount, Server
from tests.conftest import wait_for
from tests.fakes.holding_proxy import HoldingHttpProxy, HoldingTcpProxy
from tests.fakes.processes import freeze, thaw
from tests.faults.conftest import elapsed_since, write_figures
from tests.provisioning.helpers import (
    OS,
    reinstall_calls,
    reset_calls,
    run_output,
    start_provisioning_worker,
    wait_finished,
)

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE = "6"


def recorded(run_id: int) -> dict:
    """What a finished run has on record: the run, its phases, its server's provisioning fields."""
    run = ProvisioningRun.objects.get(pk=run_id)
    server = Server.objects.get(pk=run.server_id)
    return {
        "run": model_to_dict(run, exclude=["heartbeat_at"]),
        "phases": [model_to_dict(phase) for phase in run.phases.order_by("position")],
        "events": run.events.count(),
        "server": {
            name: getattr(server, name)
            for name in ("lifecycle", "root_password", "root_password_state", "host_key", "lifecycle_reason")
        },
    }


@pytest.mark.parametrize("phase", [Phase.ACCESS, Phase.REINSTALL, Phase.WAIT_FOR_SSH, Phase.ANSIBLE, Phase.FINALIZE])
def test_a_worker_frozen_in_a_phase_repeats_no_effect_and_records_nothing_when_it_wakes(
    phase, ssh_server, sshd, sandbox_account, live_server, start_celery, fast_provisioning
):
    env = {**fast_provisioning, "PROVISIONING_LEASE_SECONDS": LEASE}
    with HoldingHttpProxy(live_server.url) as api, HoldingTcpProxy(sshd.port) as ssh:
        ProviderAccount.objects.filter(pk=sandbox_account.pk).update(base_url=f"{api.url}/sandbox/api")
        Server.objects.filter(pk=ssh_server.pk).update(ssh_port=ssh.port)
        hold = {
            Phase.ACCESS: lambda: api.hold("GET", r"/server/\d+$"),  # before the reset is asked for
            # The request itself reads the OS list first; the reinstall phase reads it again before asking.
            Phase.REINSTALL: lambda: api.hold("GET", r"/server/\d+/oses$", nth=2),
            Phase.WAIT_FOR_SSH: ssh.hold,  # the first SSH connection: before the host key is pinned
        }.get(phase, lambda: None)()
        slow = "2" if phase == Phase.FINALIZE else "60"
        first = start_provisioning_worker(start_celery, {**env, "PROVISIONING_TEST_SLOW_SECONDS": slow})
        run = provision_request(
            server=Server.objects.get(pk=ssh_server.pk), os_template=OS, playbook="slow.yml", confirm=True
        )

        if phase in (Phase.ANSIBLE, Phase.FINALIZE):
            started = sshd.home / "provisioning-test" / f"slow-started-{run.pk}"
            wait_for(started.exists, timeout=120, what=lambda: f"the playbook to start:\n{first.output()[-3000:]}")
            if phase == Phase.FINALIZE:
                hold = ssh.hold()  # the playbook's connection is open: the next is finalize's health check
        if hold is not None:
            hold.wait_arrived(120)
        assert ProvisioningRun.objects.get(pk=run.pk).phase == phase
        frozen = freeze(first.process.pid)
        try:
            if hold is not None:
                hold.release()  # the answer waits in the frozen worker's socket
            wait_for(
                lambda: ProvisioningRun.objects.get(pk=run.pk).lease_expires_at < timezone.now(),
                timeout=30,
                what="the frozen worker's lease to run out",
            )
            expired = time.monotonic()
            second = start_provisioning_worker(
                start_celery, {**env, "PROVISIONING_TEST_SLOW_SECONDS": "1"}, purge=False
            )
            wait_for(lambda: ProvisioningRun.objects.get(pk=run.pk).token == 2, timeout=60, what="the resume")
            resumed_after = elapsed_since(expired)  # the next worker's start: its reclaim resumes the run
            finished = wait_finished(run.pk, second, timeout=240)
            assert finished.status == RunStatus.SUCCEEDED, run_output(finished)
            before = recorded(run.pk)
        finally:
            thaw(frozen)

        wait_for(
            lambda: "provisioning_phase_superseded" in first.output(),
            timeout=90,
            what=lambda: f"the woken worker to find its attempt superseded:\n{first.output()[-4000:]}",
        )
        time.sleep(2)  # whatever it would still do, it would have done by now
        assert recorded(run.pk) == before
        assert api.count("POST", r"/reinstall$") == 1
        assert api.count("POST", r"/resetpassword$") == 1
    server = Server.objects.get(pk=ssh_server.pk)
    assert (reinstall_calls(server), reset_calls(server)) == (1, 1)
    assert server.lifecycle == Lifecycle.READY
    assert ProvisioningRun.objects.get(pk=run.pk).token == 2
    write_figures(f"frozen_worker_{phase}", {"resumed_after_lease_expiry_seconds": resumed_after, "lease_seconds": 6})

"""The worker dies after the provider accepted the reinstall but before it heard the task id: the
next attempt finds the reinstall at the provider instead of asking again, and since the provider
never said the new root password, the stored one is marked unknown (never shown as current) and
reset once more before the server is ready."""

from __future__ import annotations

import signal

import pytest

from apps.provisioning.choices import RunRootPassword, RunStatus
from apps.provisioning.services import provision_request
from apps.servers.choices import Lifecycle, RootPasswordState
from apps.servers.models import ProviderAccount, Server
from tests.fakes.holding_proxy import HoldingHttpProxy
from tests.fakes.processes import descendants, read_process, signal_all
from tests.provisioning.helpers import (
    OS,
    reinstall_calls,
    reset_calls,
    run_output,
    start_provisioning_worker,
    wait_finished,
)
from tests.roles import user_with_role

pytestmark = [pytest.mark.faults, pytest.mark.services, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_reinstall_whose_answer_was_lost_is_not_repeated_and_its_unknown_password_is_reset_before_ready(
    ssh_server, sandbox_account, live_server, start_celery, fast_provisioning, client
):
    with HoldingHttpProxy(live_server.url) as api:
        ProviderAccount.objects.filter(pk=sandbox_account.pk).update(base_url=f"{api.url}/sandbox/api")
        lost = api.hold("POST", r"/reinstall$", after_forwarding=True)
        second_reset = api.hold("POST", r"/resetpassword$", nth=2)
        first = start_provisioning_worker(start_celery, fast_provisioning)
        run = provision_request(server=ssh_server, os_template=OS, playbook="ok.yml", confirm=True)

        lost.wait_arrived(120)  # the provider reinstalls; its answer has not reached the worker
        signal_all([read_process(first.process.pid), *descendants(first.process.pid)], signal.SIGKILL)
        first.process.wait(timeout=10)
        lost.release()  # to nobody

        second = start_provisioning_worker(start_celery, fast_provisioning, purge=False)
        second_reset.wait_arrived(120)
        # Before finalize's reset: the password is unknown, and the server, the run and the
        # break-glass page say so.
        server = Server.objects.get(pk=ssh_server.pk)
        assert (server.root_password_state, server.root_password) == (RootPasswordState.UNKNOWN, "")
        client.force_login(user_with_role("admin"))
        body = client.get(f"/api/provisioning-runs/{run.pk}/").json()
        assert body["password_outcome"] == RunRootPassword.UNKNOWN
        assert client.get(f"/api/servers/{server.pk}/").json()["password_state"] == RootPasswordState.UNKNOWN
        reveal = client.post(
            f"/admin/servers/server/{server.pk}/reveal-root-password/", {"reason": "checking the unknown state"}
        )
        assert 'id="unknown-root-password"' in reveal.content.decode()
        second_reset.release()

        run = wait_finished(run.pk, second, timeout=180)
        assert run.status == RunStatus.SUCCEEDED, run_output(run)
        assert api.count("POST", r"/reinstall$") == 1
    server = Server.objects.get(pk=ssh_server.pk)
    assert reinstall_calls(server) == 1
    assert reset_calls(server) == 2  # the access phase's, and finalize's for the password the reinstall replaced
    assert server.lifecycle == Lifecycle.READY
    assert server.root_password_state == RootPasswordState.CURRENT
    assert server.root_password
    assert client.get(f"/api/provisioning-runs/{run.pk}/").json()["password_outcome"] == RunRootPassword.STORED
    details = {phase.phase: phase.detail for phase in run.phases.all()}
    assert details["reinstall"]["password_unknown"] is True
    assert details["finalize"]["password_reset"] is True

"""A rebuild whose answer never came back (Hetzner Cloud acted, the read timed out): the attempt
fails as one trying again can fix, and the next attempt finds the rebuild among the server's
actions and follows it instead of asking for a second one. Phase steps run in this process."""

from __future__ import annotations

import time

import pytest

from apps.core.choices import Trigger
from apps.provisioning.choices import Phase, RunKind
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.phases import access, reinstall
from apps.provisioning.services import phase_execute
from apps.provisioning.services.requests import run_create
from apps.servers.choices import RootPasswordState
from apps.servers.models import Server
from apps.servers.services import provider_account_create, server_sync_now, ssh_key_create
from tests.conftest import purge_queues

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run(fake_hetzner, sshd, settings):
    settings.PROVIDER_READ_TIMEOUT_SECONDS = 0.5
    settings.PROVIDER_RETRY_MAX_WAIT_SECONDS = 0.01
    purge_queues()
    account = provider_account_create(
        data={"name": "hetzner", "kind": "hetzner", "api_token": fake_hetzner.token, "base_url": fake_hetzner.base_url}
    )
    assert server_sync_now(account=account, trigger=Trigger.OPERATOR).status == "succeeded"
    ssh_key_create(name="platform", private_key=sshd.private_key, is_default=True)
    server = Server.objects.get(provider_account=account, provider_id="4201001")
    run = run_create(server=server, kind=RunKind.PROVISION, os_template="rocky-9", playbook="ok.yml", user=None)
    assert phase_execute(run_id=run.pk, phase=Phase.ACCESS, token=run.token, step=access.step) == "done"
    yield ProvisioningRun.objects.get(pk=run.pk)
    purge_queues()


def test_a_rebuild_whose_answer_was_lost_is_found_and_followed_not_asked_for_again(run, fake_hetzner):
    assert run.phase == Phase.REINSTALL
    fake_hetzner.fail("/servers/*/actions/rebuild", method="POST", delay=1.0, times=1)

    first = phase_execute(run_id=run.pk, phase=Phase.REINSTALL, token=run.token, step=reinstall.step)
    time.sleep(1.0)  # the fake finishes the rebuild it was answering
    second = phase_execute(run_id=run.pk, phase=Phase.REINSTALL, token=run.token, step=reinstall.step)

    assert first == "retrying", first
    assert second == "done", second
    assert fake_hetzner.rebuild_calls(4201001) == 1
    record = run.phases.get(phase=Phase.REINSTALL)
    rebuild = next(action for action in fake_hetzner.actions.values() if action.command == "rebuild_server")
    assert record.provider_task_id == rebuild.id
    # Its answer (and the password in it) was lost: the stored password is marked unknown.
    server = Server.objects.get(pk=run.server_id)
    assert server.root_password_state == RootPasswordState.UNKNOWN
    assert server.root_password == ""

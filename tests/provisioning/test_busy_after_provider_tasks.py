"""A provider task that provisioning saw complete no longer shows as the server's busy task.

The inventory's busy/active_task come from server_sync; a sync that ran while the password reset
was under way used to leave "Busy, active task server_reset_password" on a server that was ready,
until the next sync minutes later.
"""

from __future__ import annotations

import pytest

from apps.core.choices import Trigger
from apps.integrations.providers import ActionKind
from apps.integrations.providers.time4vps.adapter import TASK_NAMES
from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.models import ProvisioningPhase
from apps.provisioning.services import provision_request
from apps.servers.choices import Lifecycle
from apps.servers.services import server_sync_now
from tests.conftest import wait_for
from tests.provisioning.helpers import OS, run_output, start_provisioning_worker, wait_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_server_seen_busy_with_its_reset_is_not_busy_once_provisioned(
    local_server, sandbox_account, start_celery, fast_provisioning, settings, admin_client
):
    settings.SANDBOX_TASK_SECONDS = 3  # long enough for a sync to see the reset under way
    platform_playbooks = settings.BASE_DIR / "platform" / "ansible"
    settings.ANSIBLE_PLAYBOOK_DIR = platform_playbooks
    worker = start_provisioning_worker(
        start_celery, {**fast_provisioning, "ANSIBLE_PLAYBOOK_DIR": str(platform_playbooks)}
    )
    run = provision_request(server=local_server, os_template=OS, confirm=True)
    wait_for(
        lambda: ProvisioningPhase.objects.filter(run=run, phase=Phase.ACCESS, provider_task_id__isnull=False).exists(),
        timeout=60,
        what=lambda: f"the password reset to be asked for:\n{worker.output()[-3000:]}",
    )
    assert server_sync_now(account=sandbox_account, trigger=Trigger.OPERATOR).status == "succeeded"
    local_server.refresh_from_db()
    reset = TASK_NAMES[ActionKind.RESET_PASSWORD]
    assert (local_server.busy, local_server.active_task) == (True, reset)  # what the sync saw

    run = wait_finished(run.pk, worker)

    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    local_server.refresh_from_db()
    assert local_server.lifecycle == Lifecycle.READY
    assert (local_server.busy, local_server.active_task) == (False, "")
    page = admin_client.get(f"/admin/servers/server/{local_server.pk}/change/").content.decode()
    assert reset not in page

"""A run's output reaches the database within a second of Ansible printing it, also when a task
then stays quiet for a long time (the recorder writes from ansible-runner's cancel callback, not
only when the next event arrives): the console's poll can show it while the task still runs."""

from __future__ import annotations

import pytest

from apps.provisioning.choices import RunStatus
from apps.provisioning.models import ProvisioningEvent, ProvisioningRun
from apps.provisioning.services import playbook_run_request
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from tests.provisioning.helpers import run_output, start_provisioning_worker, wait_finished
from tests.provisioning.output_watch import slowest, watch_events

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUIET_SECONDS = 6


def test_output_before_a_long_quiet_task_is_stored_within_a_second(ssh_server, sshd, start_celery, fast_provisioning):
    worker = start_provisioning_worker(
        start_celery, {**fast_provisioning, "PROVISIONING_TEST_SLOW_SECONDS": str(QUIET_SECONDS)}
    )
    Server.objects.filter(pk=ssh_server.pk).update(lifecycle=Lifecycle.READY, host_key=sshd.host_key_line)
    run = playbook_run_request(server=Server.objects.get(pk=ssh_server.pk), playbook="slow.yml")

    seen = watch_events(
        ProvisioningEvent,
        owner={"run_id": run.pk},
        until=lambda: not ProvisioningRun.objects.get(pk=run.pk).is_active,
        timeout=120,
    )

    run = wait_finished(run.pk, worker)
    assert run.status == RunStatus.SUCCEEDED, run_output(run)
    # The last line printed before the quiet task: its header, readable while it sleeps.
    sleep_header = next(e for e in seen if e.event == "playbook_on_task_start" and e.task == "Sleep")
    assert sleep_header.delay <= 1.0, seen
    assert len(seen) == run.events.count()
    assert slowest(seen).delay <= 1.0, seen

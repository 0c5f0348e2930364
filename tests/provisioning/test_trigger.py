"""provisioner_trigger: pending servers get a run, stalled runs are resumed once, nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import provisioner_trigger, provisioning_runs_cleanup
from apps.provisioning.services.requests import run_create
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from tests.conftest import purge_queues
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clean_broker(settings):
    settings.ANSIBLE_PLAYBOOK_DIR = settings.BASE_DIR / "platform" / "ansible"
    purge_queues()
    yield
    purge_queues()


def server(**fields) -> Server:
    values = {"provider_id": "1", "hostname": "web1", "os": "debian-12-x86_64", "connection": "ssh"}
    values.update(ssh_host="192.0.2.10", **fields)
    return Server.objects.create(provider_account=provider_account(), **values)


def test_a_pending_server_without_a_run_gets_one_and_a_second_trigger_starts_nothing(
    django_capture_on_commit_callbacks,
):
    pending = server(lifecycle=Lifecycle.PENDING_SETUP)
    discovered = server(lifecycle=Lifecycle.DISCOVERED, provider_id="2")

    with django_capture_on_commit_callbacks(execute=True) as sent:
        first = provisioner_trigger()
        second = provisioner_trigger()

    assert first == {"started": 1, "resumed": 0}
    assert second == {"started": 0, "resumed": 0}
    assert len(sent) == 1
    run = ProvisioningRun.objects.get(server=pending)
    assert (run.status, run.os_template, run.playbook, run.requested_by) == (
        RunStatus.QUEUED,
        "debian-12-x86_64",
        "baseline.yml",
        None,
    )
    assert not ProvisioningRun.objects.filter(server=discovered).exists()  # never without an operator


def test_a_stalled_run_is_resumed_once_from_its_phase_with_a_new_token(django_capture_on_commit_callbacks):
    target = server(lifecycle=Lifecycle.DISCOVERED)
    run = run_create(
        server=target, kind="provision", os_template="debian-12-x86_64", playbook="baseline.yml", user=None
    )
    ProvisioningRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, phase=Phase.WAIT_FOR_SSH, stalled_after=timezone.now() - timedelta(seconds=1)
    )

    with django_capture_on_commit_callbacks(execute=False) as resumed:
        first = provisioner_trigger()
        second = provisioner_trigger()

    assert first["resumed"] == 1
    assert second["resumed"] == 0
    assert len(resumed) == 1
    run.refresh_from_db()
    assert run.token == 2
    assert run.phase == Phase.WAIT_FOR_SSH
    assert run.stalled_after > timezone.now()


def test_a_pending_server_whose_run_cannot_start_is_failed_with_the_reason():
    pending = server(lifecycle=Lifecycle.PENDING_SETUP, os="")

    provisioner_trigger()

    pending.refresh_from_db()
    assert pending.lifecycle == Lifecycle.FAILED
    assert "no OS template known" in pending.lifecycle_reason


def test_cleanup_deletes_finished_runs_past_retention_only(django_capture_on_commit_callbacks):
    old = run_create(server=server(), kind="provision", os_template="x", playbook="baseline.yml", user=None)
    ProvisioningRun.objects.filter(pk=old.pk).update(
        status=RunStatus.FAILED, finished_at=timezone.now() - timedelta(days=100)
    )
    active = run_create(
        server=server(provider_id="3"), kind="provision", os_template="x", playbook="baseline.yml", user=None
    )

    assert provisioning_runs_cleanup() == 1 + 5  # the run and its five phases
    assert list(ProvisioningRun.objects.values_list("pk", flat=True)) == [active.pk]


def test_the_trigger_removes_what_killed_ansible_attempts_left_of_runs_that_ended(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    ended = run_create(server=server(), kind="provision", os_template="x", playbook="baseline.yml", user=None)
    ProvisioningRun.objects.filter(pk=ended.pk).update(status=RunStatus.FAILED, finished_at=timezone.now())
    active = run_create(
        server=server(provider_id="3"), kind="provision", os_template="x", playbook="baseline.yml", user=None
    )
    root = tmp_path / "provisioning"
    left = [root / f"ansible-{ended.pk}-abc" / "inventory", root / f"run-{ended.pk}-def"]
    working = [root / f"ansible-{active.pk}-ghi" / "env", root / f"run-{active.pk}-jkl"]
    for path in left + working:
        path.mkdir(parents=True)

    provisioner_trigger()

    assert sorted(p.name for p in root.iterdir()) == [f"ansible-{active.pk}-ghi", f"run-{active.pk}-jkl"]

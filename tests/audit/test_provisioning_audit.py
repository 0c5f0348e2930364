"""Provisioning requests: refusals are recorded as failures that stay, runs' ends are recorded."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.provisioning.choices import Phase, PhaseStatus, RunKind, RunStatus
from apps.provisioning.models import ProvisioningPhase, ProvisioningRun
from apps.provisioning.services import run_cancel
from apps.servers.choices import Connection, Lifecycle
from apps.servers.models import Server
from tests import factories
from tests.audit.helpers import events
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    return factories.server(
        hostname="web1",
        ip="192.0.2.10",
        lifecycle=Lifecycle.READY,
        connection=Connection.SSH,
        ssh_host="192.0.2.10",
    )


def active_run(server: Server, **fields) -> ProvisioningRun:
    run = ProvisioningRun.objects.create(
        server=server,
        kind=RunKind.PLAYBOOK,
        playbook="baseline.yml",
        phase=Phase.ANSIBLE,
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        **fields,
    )
    ProvisioningPhase.objects.create(run=run, phase=Phase.ANSIBLE, position=0, status=PhaseStatus.RUNNING)
    return run


def test_a_provision_without_confirmation_is_refused_and_the_refusal_is_recorded(server):
    api = api_client_as(user_with_role("operator", "olga"))

    response = api.post(f"/api/servers/{server.pk}/provision/", {"os": "ubuntu-22.04"}, format="json")

    assert response.status_code == 400
    [event] = events(AuditAction.PROVISION)
    assert (event.actor_name, event.outcome, event.target_type) == ("olga", AuditOutcome.FAILURE, "servers.server")
    assert "wipes the server" in event.detail["reason"]
    assert event.detail["os"] == "ubuntu-22.04"


def test_a_provision_that_conflicts_with_an_active_run_records_a_failure_naming_it(server):
    run = active_run(server)
    api = api_client_as(user_with_role("operator", "olga"))

    response = api.post(f"/api/servers/{server.pk}/provision/", {"os": "ubuntu-22.04", "confirm": True}, format="json")

    assert response.status_code == 409
    [event] = events(AuditAction.PROVISION)
    assert event.outcome == AuditOutcome.FAILURE
    assert f"#{run.pk}" in event.detail["reason"]


def test_canceling_a_run_records_the_cancel_and_the_runs_end_for_the_user_who_asked(server):
    requester = user_with_role("operator", "rita")
    run = active_run(server, requested_by=requester)
    canceler = user_with_role("operator", "olga")

    run_cancel(run=run, user=canceler)

    [cancel] = events(AuditAction.RUN_CANCEL)
    [finish] = events(AuditAction.RUN_FINISH)
    assert (cancel.actor_name, cancel.outcome, cancel.target_id) == ("olga", AuditOutcome.SUCCESS, str(run.pk))
    assert (finish.actor_name, finish.actor_kind, finish.outcome) == ("rita", ActorKind.USER, AuditOutcome.FAILURE)
    assert finish.detail["status"] == RunStatus.CANCELED


def test_canceling_a_finished_run_is_refused_and_recorded(server):
    run = active_run(server)
    ProvisioningRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    api = api_client_as(user_with_role("operator", "olga"))

    response = api.post(f"/api/provisioning-runs/{run.pk}/cancel/")

    assert response.status_code == 409
    [event] = events(AuditAction.RUN_CANCEL)
    assert event.outcome == AuditOutcome.FAILURE
    assert not events(AuditAction.RUN_FINISH)

"""Health checks against a real OpenSSH sshd on loopback, as an unprivileged user."""

import time

import pytest
from rest_framework.test import APIClient

from apps.integrations.ssh import generate_ed25519
from apps.monitoring.choices import CheckOutcome, IncidentKind, IncidentStatus
from apps.monitoring.models import HealthCheck, Incident
from apps.monitoring.services import health_check_batch, health_check_candidates, health_checker_run
from apps.servers.choices import HealthStatus, Lifecycle
from apps.servers.models import Server
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def check(*servers):
    health_check_batch(server_ids=[server.pk for server in servers])
    for server in servers:
        server.refresh_from_db()


def latest(server) -> HealthCheck:
    return HealthCheck.objects.filter(server=server).latest("checked_at")


def test_a_healthy_server_is_checked_its_figures_kept_and_its_host_key_pinned(make_server, sshd):
    server = make_server()

    check(server)

    result = latest(server)
    assert result.outcome == CheckOutcome.HEALTHY, result.error
    assert "/" in result.figures["disk"]
    assert result.figures["load"]["one"] >= 0
    assert result.figures["memory"]["total_kb"] > 0
    assert (server.health_status, server.last_checked_at is not None) == (HealthStatus.HEALTHY, True)
    assert server.host_key == sshd.host_key_line
    assert server.host_key_fingerprint.startswith("SHA256:")
    assert not Incident.objects.exists()


def test_a_wrong_key_is_an_auth_failed_incident(make_server):
    server = make_server(key_text=generate_ed25519().private_key)

    check(server)

    assert latest(server).outcome == CheckOutcome.AUTH_FAILED
    assert server.health_status == HealthStatus.UNREACHABLE
    assert Incident.objects.get(server=server).kind == IncidentKind.AUTH_FAILED


def test_a_port_with_nothing_listening_is_unreachable_within_the_timeout(make_server, closed_port, settings):
    server = make_server(port=closed_port)

    started = time.monotonic()
    check(server)

    assert time.monotonic() - started < settings.HEALTH_CONNECT_TIMEOUT_SECONDS + 2
    assert latest(server).outcome == CheckOutcome.UNREACHABLE
    assert Incident.objects.get(server=server).kind == IncidentKind.UNREACHABLE


def test_a_host_that_accepts_tcp_but_never_speaks_ssh_times_out_instead_of_hanging(make_server, tarpit, settings):
    server = make_server(port=tarpit.port)
    healthy = make_server()

    started = time.monotonic()
    check(server, healthy)

    assert time.monotonic() - started < settings.HEALTH_CONNECT_TIMEOUT_SECONDS * 2 + 2
    assert latest(server).outcome == CheckOutcome.UNREACHABLE
    # One dead host delays no other: the healthy one was checked in the same batch.
    assert latest(healthy).outcome == CheckOutcome.HEALTHY


def test_a_changed_host_key_opens_a_mismatch_until_an_admin_accepts_the_new_key(make_server, sshd):
    server = make_server()
    check(server)
    pinned = server.host_key

    new_key = sshd.rotate_host_key()
    check(server)
    check(server)

    incident = Incident.objects.get(server=server)
    assert (incident.kind, incident.status) == (IncidentKind.HOST_KEY_MISMATCH, IncidentStatus.OPEN)
    assert server.host_key == pinned
    assert server.offered_host_key == new_key
    assert latest(server).outcome == CheckOutcome.HOST_KEY_MISMATCH

    client = APIClient()
    client.force_authenticate(user_with_role("admin", "ops"))
    accepted = client.post(f"/api/servers/{server.pk}/accept-host-key/")
    check(server)

    assert accepted.status_code == 200
    assert accepted.json()["host_key_fingerprint"] == server.host_key_fingerprint
    assert server.host_key == new_key
    assert Incident.objects.get(server=server).status == IncidentStatus.RESOLVED
    assert latest(server).outcome == CheckOutcome.HEALTHY


def test_disk_thresholds_open_escalate_and_resolve_one_incident(make_server, settings):
    server = make_server()
    settings.DISK_WARNING_PERCENT, settings.DISK_CRITICAL_PERCENT = 0, 100
    check(server)
    assert Incident.objects.get(server=server).kind == IncidentKind.DISK_WARNING
    assert server.health_status == HealthStatus.DEGRADED

    settings.DISK_CRITICAL_PERCENT = 0
    check(server)
    incident = Incident.objects.get(server=server)
    assert (incident.kind, incident.severity) == (IncidentKind.DISK_CRITICAL, "critical")

    settings.DISK_WARNING_PERCENT, settings.DISK_CRITICAL_PERCENT = 100, 101
    check(server)
    check(server)
    assert Incident.objects.get(server=server).status == IncidentStatus.RESOLVED
    assert server.health_status == HealthStatus.HEALTHY


def test_expected_docker_that_is_not_running_is_a_docker_down_incident(make_server):
    server = make_server(expects_docker=True)

    check(server)

    assert latest(server).figures["docker"] == {"running": False}
    assert Incident.objects.get(server=server).kind == IncidentKind.DOCKER_DOWN


def test_the_scheduler_checks_servers_that_should_be_up_and_counts_the_rest(make_server, settings):
    ready = make_server()
    discovered_with_key = make_server(lifecycle=Lifecycle.DISCOVERED)
    without_key = make_server(lifecycle=Lifecycle.DISCOVERED)
    Server.objects.filter(pk=without_key.pk).update(ssh_key=None)
    make_server(lifecycle=Lifecycle.REMOVED)

    counts = health_checker_run()

    assert counts == {"servers": 2, "skipped": 1, "batches": 1}
    assert set(health_check_candidates().values_list("pk", flat=True)) == {ready.pk, discovered_with_key.pk}

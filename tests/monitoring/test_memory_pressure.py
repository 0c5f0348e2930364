"""Memory pressure, judged by the check table's memory entry, over a real sshd on loopback."""

import dataclasses

import pytest
from django.test import override_settings

from apps.monitoring.choices import CheckOutcome, IncidentKind, IncidentStatus, Severity
from apps.monitoring.models import HealthCheck, Incident
from apps.monitoring.services import check_table, health_check_batch
from apps.servers.choices import HealthStatus

pytestmark = pytest.mark.django_db

# 1,000,000 kB in all, 80,000 kB available: 92% in use, although only 20,000 kB are free.
MEMINFO = "MemTotal: 1000000 kB\\nMemFree: 20000 kB\\nMemAvailable: 80000 kB\\nSwapTotal: 0 kB\\nSwapFree: 0 kB\\n"


@pytest.fixture(autouse=True)
def disks_never_full(settings):
    """Only memory is judged here, whatever the disks of the machine running the tests hold."""
    settings.DISK_WARNING_PERCENT = settings.DISK_CRITICAL_PERCENT = 101


def check(server):
    health_check_batch(server_ids=[server.pk])
    server.refresh_from_db()


def latest(server) -> HealthCheck:
    return HealthCheck.objects.filter(server=server).latest("checked_at")


@pytest.fixture
def memory_command(monkeypatch):
    """Replace the memory entry's command line (the rest of the table is left as it is)."""

    def replace(command: str) -> None:
        table = tuple(
            dataclasses.replace(spec, command=lambda target: command) if spec.name == "memory" else spec
            for spec in check_table.CHECKS
        )
        monkeypatch.setattr(check_table, "CHECKS", table)

    return replace


def test_memory_pressure_opens_escalates_and_resolves_one_incident(make_server, settings):
    server = make_server()
    settings.MEMORY_WARNING_PERCENT, settings.MEMORY_CRITICAL_PERCENT = 0, 100
    check(server)
    check(server)
    incident = Incident.objects.get(server=server)
    assert (incident.kind, incident.severity, incident.occurrences) == (
        IncidentKind.MEMORY_WARNING,
        Severity.WARNING,
        2,
    )
    assert "of memory is in use" in incident.message
    assert server.health_status == HealthStatus.DEGRADED
    assert latest(server).outcome == CheckOutcome.DEGRADED

    settings.MEMORY_CRITICAL_PERCENT = 0
    check(server)
    incident = Incident.objects.get(server=server)
    assert (incident.kind, incident.severity) == (IncidentKind.MEMORY_CRITICAL, Severity.CRITICAL)

    settings.MEMORY_WARNING_PERCENT, settings.MEMORY_CRITICAL_PERCENT = 101, 101
    check(server)
    assert Incident.objects.get(server=server).status == IncidentStatus.OPEN  # one healthy check is not enough
    check(server)
    assert Incident.objects.get(server=server).status == IncidentStatus.RESOLVED
    assert server.health_status == HealthStatus.HEALTHY


def test_memory_and_disk_are_incidents_of_their_own_families(make_server, settings):
    server = make_server()
    settings.MEMORY_WARNING_PERCENT, settings.MEMORY_CRITICAL_PERCENT = 0, 101
    settings.DISK_WARNING_PERCENT, settings.DISK_CRITICAL_PERCENT = 0, 101

    check(server)

    kinds = set(Incident.objects.filter(server=server).values_list("kind", flat=True))
    assert kinds == {IncidentKind.MEMORY_WARNING, IncidentKind.DISK_WARNING}


@pytest.mark.parametrize(
    ("warning", "critical", "expected"),
    [
        (90, 95, IncidentKind.MEMORY_WARNING),
        (85, 92, IncidentKind.MEMORY_CRITICAL),  # the threshold itself counts
        (93, 95, None),
    ],
)
def test_the_memory_thresholds_are_read_from_the_settings(make_server, memory_command, warning, critical, expected):
    server = make_server()
    memory_command(f"printf '{MEMINFO}'")

    with override_settings(MEMORY_WARNING_PERCENT=warning, MEMORY_CRITICAL_PERCENT=critical):
        check(server)

    assert latest(server).figures["memory"]["available_kb"] == 80_000
    assert list(Incident.objects.filter(server=server).values_list("kind", flat=True)) == (
        [expected] if expected else []
    )


def test_unreadable_memory_is_recorded_and_leaves_its_incident_open(make_server, memory_command, settings):
    server = make_server()
    settings.MEMORY_WARNING_PERCENT, settings.MEMORY_CRITICAL_PERCENT = 0, 101
    check(server)

    memory_command("echo no meminfo here >&2; exit 3")
    check(server)
    check(server)
    check(server)

    result = latest(server)
    assert result.outcome == CheckOutcome.HEALTHY
    assert result.figures["memory"] is None
    assert result.figures["unreadable"]["memory"] == {"exit_status": 3, "stderr": "no meminfo here"}
    # An unread check says nothing about memory: the incident neither resolves nor counts a streak.
    incident = Incident.objects.get(server=server)
    assert (incident.status, incident.healthy_streak) == (IncidentStatus.OPEN, 0)

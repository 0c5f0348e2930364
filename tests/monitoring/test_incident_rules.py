"""Incidents: one per server and kind, escalation, healthy streaks, operator actions."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from apps.monitoring.choices import IncidentKind, IncidentStatus, Severity
from apps.monitoring.models import Incident
from apps.monitoring.services.incidents import CONNECTION_KINDS, Problem, incidents_apply
from apps.servers.models import Server
from apps.servers.services.write import servers_write
from tests.roles import user_with_role
from tests.servers.factories import listing, provider_account

pytestmark = pytest.mark.django_db
ALL = tuple(IncidentKind)
DISK_WARNING = Problem(IncidentKind.DISK_WARNING, Severity.WARNING, "/ is 85% full")
DISK_CRITICAL = Problem(IncidentKind.DISK_CRITICAL, Severity.CRITICAL, "/ is 95% full")
UNREACHABLE = Problem(IncidentKind.UNREACHABLE, Severity.CRITICAL, "connection refused")


@pytest.fixture
def server():
    servers_write(account=provider_account(), listing=listing([1]), now=timezone.now())
    return Server.objects.get()


def apply(server, *problems, evaluated=ALL):
    return incidents_apply(server=server, problems=list(problems), evaluated=evaluated)


def test_a_problem_seen_again_adds_an_occurrence_instead_of_a_second_incident(server):
    opened = apply(server, UNREACHABLE)
    again = apply(server, UNREACHABLE)

    incident = Incident.objects.get()
    assert [event.event for event in opened] == ["opened"]
    assert again == []
    assert (incident.occurrences, incident.status) == (2, IncidentStatus.OPEN)


def test_the_database_refuses_a_second_active_incident_of_the_same_kind(server):
    apply(server, UNREACHABLE)
    now = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(
            server=server, kind=IncidentKind.UNREACHABLE, severity=Severity.CRITICAL, opened_at=now, last_seen_at=now
        )


def test_a_disk_warning_that_turns_critical_escalates_the_same_incident(server):
    apply(server, DISK_WARNING)

    events = apply(server, DISK_CRITICAL)

    incident = Incident.objects.get()
    assert [event.event for event in events] == ["escalated"]
    assert (incident.kind, incident.severity) == (IncidentKind.DISK_CRITICAL, Severity.CRITICAL)


def test_an_incident_resolves_itself_only_after_enough_consecutive_healthy_checks(server, settings):
    settings.INCIDENT_RESOLVE_AFTER_CHECKS = 3
    apply(server, UNREACHABLE)

    apply(server)
    apply(server)
    apply(server, UNREACHABLE)  # flapping: the streak starts again
    apply(server)
    apply(server)
    assert Incident.objects.get().status == IncidentStatus.OPEN

    events = apply(server)

    assert [event.event for event in events] == ["resolved"]
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_an_unreachable_host_says_nothing_about_its_disk(server, settings):
    settings.INCIDENT_RESOLVE_AFTER_CHECKS = 1
    apply(server, DISK_WARNING)

    apply(server, UNREACHABLE, evaluated=CONNECTION_KINDS)

    disk = Incident.objects.get(kind=IncidentKind.DISK_WARNING)
    assert disk.status == IncidentStatus.OPEN


def test_a_host_key_mismatch_never_resolves_itself(server, settings):
    settings.INCIDENT_RESOLVE_AFTER_CHECKS = 1
    apply(server, Problem(IncidentKind.HOST_KEY_MISMATCH, Severity.CRITICAL, "new key"))

    apply(server)
    apply(server)

    assert Incident.objects.get().status == IncidentStatus.OPEN


def test_operators_acknowledge_and_resolve_incidents_through_the_api(server):
    apply(server, UNREACHABLE)
    incident = Incident.objects.get()
    client = APIClient()
    client.force_authenticate(user_with_role("operator", "ops"))

    listed = client.get("/api/incidents/", {"status": "open", "kind": "unreachable", "server": server.pk}).json()
    acknowledged = client.post(f"/api/incidents/{incident.pk}/acknowledge/")
    twice = client.post(f"/api/incidents/{incident.pk}/acknowledge/")
    resolved = client.post(f"/api/incidents/{incident.pk}/resolve/")

    assert [item["id"] for item in listed["results"]] == [incident.pk]
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"] == "ops"
    assert twice.status_code == 409
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"] == "ops"
    # A new occurrence after a resolution opens a new incident.
    apply(server, UNREACHABLE)
    assert Incident.objects.filter(status=IncidentStatus.OPEN).count() == 1

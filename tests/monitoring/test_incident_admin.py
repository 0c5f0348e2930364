"""The incident page in the admin: read-only (no Save buttons), with Acknowledge and Resolve
buttons that take an optional comment and call the monitoring services."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from apps.monitoring.choices import IncidentKind, IncidentStatus, Severity
from apps.monitoring.models import Incident
from apps.servers.models import Server
from apps.servers.services.write import servers_write
from tests import factories
from tests.roles import user_with_role
from tests.servers.factories import listing, provider_account

pytestmark = pytest.mark.django_db

INCIDENTS = "/admin/monitoring/incident/"


@pytest.fixture
def incident() -> Incident:
    servers_write(account=provider_account(), listing=listing([1]), now=timezone.now())
    return factories.incident(
        on=Server.objects.get(), kind=IncidentKind.DISK_WARNING, severity=Severity.WARNING, message="/ is 85% full"
    )


@pytest.fixture
def operator(client):
    user = user_with_role("operator")
    client.force_login(user)
    client.user = user
    return client


def page(client, incident: Incident) -> str:
    response = client.get(f"{INCIDENTS}{incident.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_the_incident_page_has_no_save_buttons(client, incident, role):
    client.force_login(user_with_role(role))

    html = page(client, incident)

    assert "/ is 85% full" in html
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert ">Save<" not in html
    assert 'value="Save"' not in html


def test_an_open_incident_offers_acknowledge_and_resolve(operator, incident):
    html = page(operator, incident)

    assert 'id="incident-acknowledge"' in html
    assert 'id="incident-resolve"' in html
    assert 'name="comment"' in html


def test_acknowledging_with_a_comment_records_who_and_why(operator, incident):
    response = operator.post(
        f"{INCIDENTS}{incident.pk}/acknowledge/", {"comment": "  cleaning up the logs  "}, follow=True
    )

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.acknowledged_by == operator.user
    assert response.redirect_chain[-1][0] == f"{INCIDENTS}{incident.pk}/change/"
    assert f"Incident #{incident.pk} acknowledged." in [str(m) for m in response.context["messages"]]
    event = AuditEvent.objects.get(action=AuditAction.INCIDENT_ACKNOWLEDGE)
    assert event.detail == {"comment": "cleaning up the logs"}
    html = response.content.decode()
    assert "Incident acknowledged by operator-user" in html
    assert "cleaning up the logs" in html
    assert 'id="incident-acknowledge"' not in html  # acknowledged already
    assert 'id="incident-resolve"' in html


def test_resolving_without_a_comment_resolves_it(operator, incident):
    response = operator.post(f"{INCIDENTS}{incident.pk}/resolve/", {"comment": ""}, follow=True)

    incident.refresh_from_db()
    assert (incident.status, incident.resolved_by) == (IncidentStatus.RESOLVED, operator.user)
    assert AuditEvent.objects.get(action=AuditAction.INCIDENT_RESOLVE).detail == {}
    html = response.content.decode()
    assert 'id="incident-handling"' not in html  # nothing left to do


def test_resolving_a_resolved_incident_says_why_not(operator, incident):
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.RESOLVED, resolved_at=timezone.now())

    response = operator.post(f"{INCIDENTS}{incident.pk}/resolve/", {"comment": "again"}, follow=True)

    assert f"incident {incident.pk} is already resolved" in [str(m) for m in response.context["messages"]]


def test_a_comment_longer_than_allowed_is_refused_and_changes_nothing(operator, incident):
    response = operator.post(f"{INCIDENTS}{incident.pk}/acknowledge/", {"comment": "x" * 1001}, follow=True)

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN
    messages = [str(m) for m in response.context["messages"]]
    assert any("at most 1000 characters" in message for message in messages), messages


def test_a_viewer_sees_no_buttons_and_cannot_post(client, incident):
    client.force_login(user_with_role("viewer"))

    html = page(client, incident)

    assert 'id="incident-handling"' not in html
    assert client.post(f"{INCIDENTS}{incident.pk}/acknowledge/").status_code == 403
    assert client.post(f"{INCIDENTS}{incident.pk}/resolve/").status_code == 403
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_the_buttons_take_a_post_only(operator, incident):
    assert operator.get(f"{INCIDENTS}{incident.pk}/acknowledge/").status_code == 405
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN

"""The audit trail over the API: actions through the API are recorded, and GET /api/audit-events/ filters them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.services import audit_record
from apps.monitoring.choices import IncidentKind, IncidentStatus, Severity
from apps.monitoring.models import Incident
from tests import factories
from tests.audit.helpers import events
from tests.roles import api_client_as, user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db

EVENTS = "/api/audit-events/"


@pytest.fixture
def incident():
    server = factories.server(hostname="web1")
    return factories.incident(on=server, kind=IncidentKind.UNREACHABLE, severity=Severity.CRITICAL, message="no answer")


def test_acknowledging_an_incident_records_who_what_and_the_outcome(incident):
    api = api_client_as(user_with_role("operator", "olga"))

    response = api.post(f"/api/incidents/{incident.pk}/acknowledge/")

    assert response.status_code == 200, response.content
    [event] = events(AuditAction.INCIDENT_ACKNOWLEDGE)
    assert (event.actor_kind, event.actor_name, event.outcome) == (ActorKind.USER, "olga", AuditOutcome.SUCCESS)
    assert (event.target_type, event.target_id) == ("monitoring.incident", str(incident.pk))


def test_a_refused_resolve_is_recorded_as_a_failure_with_the_reason(incident):
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.RESOLVED)
    api = api_client_as(user_with_role("operator", "olga"))

    response = api.post(f"/api/incidents/{incident.pk}/resolve/")

    assert response.status_code == 409
    [event] = events(AuditAction.INCIDENT_RESOLVE)
    assert event.outcome == AuditOutcome.FAILURE
    assert "already resolved" in event.detail["reason"]


def test_queueing_a_sync_through_the_api_records_the_user_and_the_account():
    account = provider_account(name="main")
    api = api_client_as(user_with_role("operator", "olga"))

    response = api.post(f"/api/provider-accounts/{account.pk}/sync/")

    assert response.status_code == 202, response.content
    [event] = events(AuditAction.SYNC_QUEUE)
    assert (event.actor_name, event.target_type, event.target_id, event.target_repr) == (
        "olga",
        "servers.provideraccount",
        str(account.pk),
        "main",
    )
    assert event.detail["trigger"] == "api"


def test_the_list_filters_by_action_actor_and_target_type():
    olga, vic = user_with_role("operator", "olga"), user_with_role("viewer", "vic")
    account = provider_account()
    wanted = audit_record(action=AuditAction.SYNC_QUEUE, actor=olga, target=account)
    audit_record(action=AuditAction.SYNC_QUEUE, actor=vic, target=account)
    audit_record(action=AuditAction.INCIDENT_RESOLVE, actor=olga, target=account)
    audit_record(action=AuditAction.SYNC_QUEUE, actor=olga, target=olga)
    api = api_client_as(vic)

    response = api.get(EVENTS, {"action": "sync.queue", "actor": "olga", "target_type": "servers.provideraccount"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]
    row = response.json()["results"][0]
    assert (row["actor"], row["actor_kind"], row["action"], row["outcome"]) == ("olga", "user", "sync.queue", "success")


def test_several_actions_and_a_time_window_can_be_asked_for():
    first = audit_record(action=AuditAction.SYNC_QUEUE)
    second = audit_record(action=AuditAction.INCIDENT_RESOLVE)
    audit_record(action=AuditAction.LOGIN)
    api = api_client_as(user_with_role("viewer"))

    both = api.get(f"{EVENTS}?action=sync.queue&action=incident.resolve").json()
    later = api.get(EVENTS, {"occurred_after": timezone.now().isoformat()}).json()

    assert {row["id"] for row in both["results"]} == {first.pk, second.pk}
    assert later["count"] == 0


def test_an_unknown_action_is_a_400_naming_the_filter():
    response = api_client_as(user_with_role("viewer")).get(EVENTS, {"action": "nonsense"})

    assert response.status_code == 400
    assert "action" in response.json()


def test_a_viewer_reads_the_trail_and_nobody_writes_it():
    event = audit_record(action=AuditAction.SYNC_QUEUE)
    viewer = api_client_as(user_with_role("viewer"))
    admin = api_client_as(user_with_role("admin"))

    assert viewer.get(EVENTS).status_code == 200
    assert viewer.get(f"{EVENTS}{event.pk}/").json()["action"] == "sync.queue"
    assert admin.post(EVENTS, {"action": "login"}, format="json").status_code in (403, 405)
    assert admin.delete(f"{EVENTS}{event.pk}/").status_code in (403, 405)
    assert admin.patch(f"{EVENTS}{event.pk}/", {"outcome": "failure"}, format="json").status_code in (403, 405)
    event.refresh_from_db()
    assert event.outcome == AuditOutcome.SUCCESS


def test_a_user_without_a_role_cannot_read_the_trail():
    audit_record(action=AuditAction.SYNC_QUEUE)
    nobody = api_client_as(get_user_model().objects.create_user("nobody"))

    assert nobody.get(EVENTS).status_code == 403

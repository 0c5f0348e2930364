"""The audit trail in the admin: listed and readable, never added, changed or deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

EVENTS = "/admin/audit/auditevent/"


def test_a_viewer_lists_and_reads_events_but_cannot_add_or_change_them(client):
    event = audit_record(action=AuditAction.SYNC_QUEUE, detail={"trigger": "api"})
    client.force_login(user_with_role("viewer"))

    listed = client.get(EVENTS, {"action__exact": "sync.queue"})
    shown = client.get(f"{EVENTS}{event.pk}/change/")

    assert listed.status_code == 200
    assert "Sync queued" in listed.content.decode()
    assert shown.status_code == 200
    assert "&quot;trigger&quot;: &quot;api&quot;" in shown.content.decode()
    assert client.get(f"{EVENTS}add/").status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/change/", {"outcome": "failure"}).status_code == 403


def test_not_even_a_superuser_can_add_change_or_delete_an_event(client):
    event = audit_record(action=AuditAction.SYNC_QUEUE)
    client.force_login(get_user_model().objects.create_superuser("root", password="x" * 16))

    assert client.get(f"{EVENTS}add/").status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/change/", {"outcome": "failure"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, outcome="success").exists()

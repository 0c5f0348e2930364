"""audit_record itself: who is recorded, secrets scrubbed, odd values stored, rollbacks respected."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import structlog
from django.db import transaction
from django.utils import timezone

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.models import AuditEvent
from apps.audit.services import audit_events_cleanup, audit_record
from tests import factories
from tests.audit.helpers import whole_table
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

ROOT_PASSWORD = "Root-Pa55-never-shown"


def test_a_user_is_recorded_by_name_and_the_name_stays_when_the_user_is_deleted():
    user = user_with_role("operator", "olga")
    event = audit_record(action=AuditAction.INCIDENT_ACKNOWLEDGE, actor=user, target=user)

    user.delete()

    event.refresh_from_db()
    assert (event.actor_kind, event.actor_id, event.actor_name) == (ActorKind.USER, None, "olga")
    assert (event.target_type, event.target_repr) == ("auth.user", "olga")


def test_without_a_user_the_actor_is_the_system_or_the_schedule_named():
    assert audit_record(action=AuditAction.SYNC_RUN).actor_kind == ActorKind.SYSTEM
    assert audit_record(action=AuditAction.SYNC_RUN, actor_kind=ActorKind.SCHEDULE).actor_kind == ActorKind.SCHEDULE


def test_secrets_handed_in_detail_never_land_in_the_row():
    server = factories.server(hostname="web1", root_password=ROOT_PASSWORD)

    audit_record(
        action=AuditAction.RECORD_UPDATE,
        target=server,
        detail={
            "password": "hunter2-secret",
            "nested": [{"api_token": "tok-123456"}, {"private_key": "-----BEGIN KEY-----"}],
            "Authorization": "Bearer abcdef",
            # Under an innocent name: the target's encrypted value is still blanked.
            "note": f"the password is {ROOT_PASSWORD}",
            "kept": "hostname web1",
        },
    )

    stored = whole_table()
    for secret in ("hunter2-secret", "tok-123456", "BEGIN KEY", "Bearer abcdef", ROOT_PASSWORD):
        assert secret not in stored
    detail = AuditEvent.objects.get(action=AuditAction.RECORD_UPDATE).detail
    assert detail["password"] == "[redacted]"
    assert detail["note"] == "the password is [redacted]"
    assert detail["kept"] == "hostname web1"


def test_values_json_cannot_hold_are_stored_as_text_instead_of_failing_the_action():
    class Odd:
        def __str__(self) -> str:
            return "odd thing"

    now = timezone.now()
    event = audit_record(
        action=AuditAction.SYNC_RUN,
        detail={"when": now, "amount": Decimal("1.5"), "id": uuid.UUID(int=1), "odd": Odd(), "nan": float("nan")},
    )

    event.refresh_from_db()
    assert event.detail == {
        "when": now.isoformat(),
        "amount": "1.5",
        "id": str(uuid.UUID(int=1)),
        "odd": "odd thing",
        "nan": "nan",
    }


def test_an_action_that_rolls_back_leaves_no_row_claiming_it_happened():
    def action_failing_after_its_record() -> None:
        with transaction.atomic():
            audit_record(action=AuditAction.INCIDENT_RESOLVE, outcome=AuditOutcome.SUCCESS)
            raise RuntimeError("the action failed after recording")

    with pytest.raises(RuntimeError):
        action_failing_after_its_record()

    assert not AuditEvent.objects.exists()


def test_the_request_id_bound_to_the_log_context_is_recorded():
    structlog.contextvars.bind_contextvars(request_id="req-42")
    try:
        event = audit_record(action=AuditAction.SYNC_QUEUE)
    finally:
        structlog.contextvars.clear_contextvars()

    assert event.request_id == "req-42"


def test_the_cleanup_deletes_events_past_the_retention_and_is_idempotent(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = audit_record(action=AuditAction.SYNC_RUN)
    AuditEvent.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=31))
    recent = audit_record(action=AuditAction.SYNC_RUN)

    assert audit_events_cleanup() == 1
    assert audit_events_cleanup() == 0
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]

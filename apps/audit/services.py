"""Writes of the audit trail: record an event, and forget events past the retention.

`audit_record` is called by the services next to the action they audit, so the admin, the API
and the schedule are covered by one call. It writes inside the caller's transaction: an action
that rolls back leaves no row claiming it happened. Refusals are recorded by the callers after
their own atomic block, so they survive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.context import authenticated_user, current_request
from apps.audit.models import AuditEvent
from apps.audit.scrub import encrypted_values, scrub
from apps.core.batching import delete_in_batches
from apps.core.exceptions import PlatformError

log = structlog.get_logger(__name__)


def _field_max(name: str) -> int:
    return AuditEvent._meta.get_field(name).max_length


def _resolve_actor(actor, actor_kind: ActorKind | None, request: HttpRequest | None):
    """(user or None, kind): a signed-in user given or behind the current request, else the kind
    the caller named (the schedule), else the system."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor, ActorKind.USER
    if actor_kind is not None:
        return None, actor_kind
    user = authenticated_user(request)
    if user is not None:
        return user, ActorKind.USER
    return None, ActorKind.SYSTEM


def _client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: a forwarded header is whatever the client chose to send.
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    return address or None


def audit_record(
    *,
    action: AuditAction,
    actor=None,
    actor_kind: ActorKind | None = None,
    actor_name: str = "",
    target: Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_repr: str = "",
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record one action: who (a user, the schedule or the system), what, on which object, how it ended.

    `actor` may be None: inside a web request the signed-in user is the actor, unless the caller
    names `actor_kind` (ActorKind.SCHEDULE for work beat started). `actor_name` overrides the
    recorded name (a failed sign-in's attempted username). `detail` is scrubbed of secrets.
    """
    request = request if request is not None else current_request()
    user, kind = _resolve_actor(actor, actor_kind, request)
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        target_repr = target_repr or str(target)
    event = AuditEvent.objects.create(
        actor_kind=kind,
        actor=user,
        actor_name=(actor_name or (user.get_username() if user is not None else ""))[: _field_max("actor_name")],
        action=action,
        target_type=target_type[: _field_max("target_type")],
        target_id=str(target_id or "")[: _field_max("target_id")],
        target_repr=scrub(target_repr, secrets=encrypted_values(target))[: _field_max("target_repr")],
        outcome=outcome,
        detail=scrub(detail or {}, secrets=encrypted_values(target)),
        request_id=str(structlog.contextvars.get_contextvars().get("request_id", ""))[: _field_max("request_id")],
        ip_address=_client_ip(request),
    )
    return event


@contextmanager
def audit_refusals(
    *, action: AuditAction, actor=None, target: Model | None = None, detail: dict[str, Any] | None = None
) -> Iterator[None]:
    """Record a refusal of `action` (a PlatformError: bad input, a conflict, a dependency down)
    as a failure with its reason, then let the error go on to the caller.

    Use it outside the action's atomic block: the block has rolled back by the time the error
    reaches here, and the failure row must stay.
    """
    try:
        yield
    except PlatformError as error:
        # A PlatformError's message is written to be shown: it carries no secret.
        audit_record(
            action=action,
            actor=actor,
            target=target,
            outcome=AuditOutcome.FAILURE,
            detail={**(detail or {}), "reason": str(error)},
        )
        raise


def audit_events_cleanup(*, older_than: timedelta | None = None, batch_size: int = 1000) -> int:
    """Delete events older than AUDIT_RETENTION_DAYS, in batches; returns how many."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.AUDIT_RETENTION_DAYS))
    deleted = delete_in_batches(AuditEvent.objects.filter(occurred_at__lt=cutoff), batch_size=batch_size)
    log.info("audit_events_cleaned", deleted=deleted, cutoff=cutoff.isoformat())
    return deleted

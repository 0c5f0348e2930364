"""Incidents: opened by checks, de-duplicated, escalated, resolved after a healthy streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record, audit_refusals
from apps.core.exceptions import ConflictError
from apps.monitoring.choices import (
    ACTIVE_INCIDENT_STATUSES,
    SEVERITY_RANK,
    IncidentKind,
    IncidentStatus,
)
from apps.monitoring.models import Incident
from apps.monitoring.services.check_table import INCIDENT_FAMILIES
from apps.monitoring.services.problems import Problem
from apps.servers.models import Server

log = structlog.get_logger(__name__)

# Kinds of one family share one incident: a disk warning that turns critical escalates it. The
# check table declares the families; a kind outside it (unreachable, say) is a family of its own.
FAMILIES = INCIDENT_FAMILIES
# Kinds that never resolve themselves: an operator must act (accept the key, re-provision).
OPERATOR_RESOLVED = (IncidentKind.HOST_KEY_MISMATCH, IncidentKind.PROVISIONING_FAILED)
CONNECTION_KINDS = (IncidentKind.UNREACHABLE, IncidentKind.AUTH_FAILED, IncidentKind.HOST_KEY_MISMATCH)
INCIDENT_COMMENT_MAX_LENGTH = 1000


@dataclass(frozen=True)
class IncidentEvent:
    """What notifications are about: an incident opened, escalated or resolved."""

    incident_id: int
    event: str  # "opened" | "escalated" | "resolved"


def _family(kind: str) -> str:
    return FAMILIES.get(kind, kind)


def incidents_apply(
    *, server: Server, problems: list[Problem], evaluated: tuple[str, ...], now: datetime | None = None
) -> list[IncidentEvent]:
    """Bring the server's incidents in line with one check.

    `evaluated` are the kinds this check could judge (an unreachable host says nothing about its
    disks): only those count towards a healthy streak.
    """
    now = now or timezone.now()
    events: list[IncidentEvent] = []
    with transaction.atomic():
        active = {
            _family(incident.kind): incident
            for incident in Incident.objects.select_for_update().filter(
                server=server, status__in=ACTIVE_INCIDENT_STATUSES
            )
        }
        seen_families = set()
        for problem in problems:
            family = _family(problem.kind)
            seen_families.add(family)
            incident = active.get(family)
            if incident is None:
                try:
                    with transaction.atomic():
                        incident = Incident.objects.create(
                            server=server,
                            kind=problem.kind,
                            severity=problem.severity,
                            message=problem.message[:2000],
                            opened_at=now,
                            last_seen_at=now,
                        )
                except IntegrityError:  # opened by a concurrent check of the same server
                    continue
                events.append(IncidentEvent(incident.pk, "opened"))
                log.info("incident_opened", incident_id=incident.pk, server_id=server.pk, kind=problem.kind)
                continue
            escalated = SEVERITY_RANK[problem.severity] > SEVERITY_RANK[incident.severity]
            incident.occurrences += 1
            incident.last_seen_at = now
            incident.healthy_streak = 0
            incident.message = problem.message[:2000]
            if escalated:
                incident.severity = problem.severity
                incident.kind = problem.kind
                events.append(IncidentEvent(incident.pk, "escalated"))
            incident.save(
                update_fields=["occurrences", "last_seen_at", "healthy_streak", "message", "severity", "kind"]
            )
        evaluated_families = {_family(kind) for kind in evaluated}
        for family, incident in active.items():
            if family in seen_families or family not in evaluated_families or incident.kind in OPERATOR_RESOLVED:
                continue
            incident.healthy_streak += 1
            if incident.healthy_streak >= settings.INCIDENT_RESOLVE_AFTER_CHECKS:
                incident.status = IncidentStatus.RESOLVED
                incident.resolved_at = now
                events.append(IncidentEvent(incident.pk, "resolved"))
                log.info("incident_resolved", incident_id=incident.pk, server_id=server.pk, automatic=True)
            incident.save(update_fields=["healthy_streak", "status", "resolved_at"])
    return events


def incidents_close(*, server: Server, kind: IncidentKind, now: datetime | None = None) -> list[IncidentEvent]:
    """Resolve the server's active incidents of `kind` because the platform fixed their cause
    (provisioning succeeded, a reinstall replaced the host key); returns the events to notify."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Incident.objects.select_for_update()
            .filter(server=server, kind=kind, status__in=ACTIVE_INCIDENT_STATUSES)
            .values_list("pk", flat=True)
        )
        Incident.objects.filter(pk__in=ids).update(status=IncidentStatus.RESOLVED, resolved_at=now)
    for pk in ids:
        log.info("incident_resolved", incident_id=pk, server_id=server.pk, automatic=True, kind=kind)
    return [IncidentEvent(pk, "resolved") for pk in ids]


def _comment_detail(comment: str) -> dict[str, str] | None:
    """The operator's note on an acknowledgement or resolution, kept in its audit event."""
    comment = comment.strip()[:INCIDENT_COMMENT_MAX_LENGTH]
    return {"comment": comment} if comment else None


def incident_acknowledge(*, incident: Incident, user, comment: str = "") -> Incident:
    with audit_refusals(action=AuditAction.INCIDENT_ACKNOWLEDGE, actor=user, target=incident):
        if incident.status != IncidentStatus.OPEN:
            raise ConflictError(
                f"incident {incident.pk} is {incident.status}: only an open incident can be acknowledged"
            )
    with transaction.atomic():
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.acknowledged_at = timezone.now()
        incident.acknowledged_by = user
        incident.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit_record(
            action=AuditAction.INCIDENT_ACKNOWLEDGE, actor=user, target=incident, detail=_comment_detail(comment)
        )
    log.info("incident_acknowledged", incident_id=incident.pk, user_id=user.pk)
    return incident


def incident_resolve(*, incident: Incident, user, comment: str = "") -> Incident:
    with audit_refusals(action=AuditAction.INCIDENT_RESOLVE, actor=user, target=incident):
        if incident.status == IncidentStatus.RESOLVED:
            raise ConflictError(f"incident {incident.pk} is already resolved")
    with transaction.atomic():
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = timezone.now()
        incident.resolved_by = user
        incident.save(update_fields=["status", "resolved_at", "resolved_by"])
        audit_record(action=AuditAction.INCIDENT_RESOLVE, actor=user, target=incident, detail=_comment_detail(comment))
    log.info("incident_resolved", incident_id=incident.pk, user_id=user.pk, automatic=False)
    return incident

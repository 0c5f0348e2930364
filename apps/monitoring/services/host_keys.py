"""Host key pinning: an operator accepts the new key a server offered."""

import structlog
from django.db import transaction
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record, audit_refusals
from apps.core.exceptions import ConflictError
from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, IncidentKind, IncidentStatus
from apps.monitoring.models import Incident
from apps.servers.models import Server
from apps.servers.services import server_offered_host_key_accept

log = structlog.get_logger(__name__)


def server_host_key_accept(*, server: Server, user) -> Server:
    """Pin the host key the server offered in place of the pinned one, and close the mismatch."""
    # A refusal is recorded outside the atomic block, so the failure row stays.
    with audit_refusals(action=AuditAction.HOST_KEY_ACCEPT, actor=user, target=server), transaction.atomic():
        if not server.offered_host_key:
            raise ConflictError("the server has offered no other host key: there is nothing to accept")
        previous = server_offered_host_key_accept(server=server)
        Incident.objects.filter(
            server=server, kind=IncidentKind.HOST_KEY_MISMATCH, status__in=ACTIVE_INCIDENT_STATUSES
        ).update(status=IncidentStatus.RESOLVED, resolved_at=timezone.now(), resolved_by=user)
        audit_record(
            action=AuditAction.HOST_KEY_ACCEPT,
            actor=user,
            target=server,
            detail={"previous_fingerprint": previous, "fingerprint": server.host_key_fingerprint},
        )
    log.info("host_key_accepted", server_id=server.pk, fingerprint=server.host_key_fingerprint, user_id=user.pk)
    return server

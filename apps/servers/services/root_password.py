"""Break-glass: an admin reveals a server's stored root password, with a reason, audited.

The rule lives here so the admin page (and anything added later) asks one place. Every attempt
is recorded: a denied one as denied, a reveal with its reason. The password itself is returned
to the caller only; it never reaches the audit row, a log line or an error message.
"""

from __future__ import annotations

import structlog
from django.core.exceptions import PermissionDenied

from apps.audit.choices import AuditAction, AuditOutcome
from apps.audit.services import audit_record
from apps.core.exceptions import ValidationError
from apps.servers.models import Server

log = structlog.get_logger(__name__)

REVEAL_PERMISSION = "servers.reveal_root_password"
MIN_REASON_LENGTH = 10
MAX_REASON_LENGTH = 500


def root_password_reveal_allowed(*, user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(REVEAL_PERMISSION))


def root_password_reveal_authorize(*, server: Server, user) -> None:
    """Raise PermissionDenied (recorded as a denied reveal) unless `user` may reveal root passwords."""
    if root_password_reveal_allowed(user=user):
        return
    audit_record(action=AuditAction.ROOT_PASSWORD_REVEAL, actor=user, target=server, outcome=AuditOutcome.DENIED)
    log.warning("root_password_reveal_denied", server_id=server.pk, user_id=getattr(user, "pk", None))
    raise PermissionDenied("Revealing a root password needs the servers.reveal_root_password permission.")


def root_password_reason_clean(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": [f"say why you need it, in {MIN_REASON_LENGTH} characters or more"]})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": [f"keep the reason under {MAX_REASON_LENGTH} characters"]})
    return reason


def root_password_reveal(*, server: Server, user, reason: str) -> str:
    """The server's stored root password ("" when none is stored), after recording who asked and why.

    Raises PermissionDenied (recorded as denied) or ValidationError (no reason: nothing revealed).
    """
    root_password_reveal_authorize(server=server, user=user)
    reason = root_password_reason_clean(reason)
    password = Server.objects.filter(pk=server.pk).values_list("root_password", flat=True).first() or ""
    audit_record(
        action=AuditAction.ROOT_PASSWORD_REVEAL,
        actor=user,
        target=server,
        detail={"reason": reason, "stored": bool(password)},
    )
    log.info("root_password_revealed", server_id=server.pk, user_id=user.pk, stored=bool(password))
    return password

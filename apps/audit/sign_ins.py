"""Sign-ins, successful and failed (admin and API session logins alike), from Django's auth signals.

A failed attempt records the username that was tried, never the password: Django hands the
credentials to the signal already cleansed, and only the username is read from them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.services import audit_record


def _on_logged_in(sender: Any, request=None, user=None, **_: Any) -> None:
    audit_record(action=AuditAction.LOGIN, actor=user, target=user, request=request)


def _on_login_failed(sender: Any, credentials: dict | None = None, request=None, **_: Any) -> None:
    username = str((credentials or {}).get(get_user_model().USERNAME_FIELD, ""))
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor_kind=ActorKind.USER,
        actor_name=username,
        outcome=AuditOutcome.FAILURE,
        detail={"username": username},
        request=request,
    )


def connect() -> None:
    user_logged_in.connect(_on_logged_in, dispatch_uid="audit:user_logged_in")
    user_login_failed.connect(_on_login_failed, dispatch_uid="audit:user_login_failed")

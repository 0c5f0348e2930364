"""Personal API tokens: creating, issuing at login, revoking, and noting their use.

A token's value exists only in the return value of token_create/login_token_issue: the
database keeps its digest, and no log line or audit record ever sees it. Creating and
deleting a token (revoked, or expired and cleaned up) is audited by apps.audit.model_changes
from the model's signals, whatever path did it (API, admin, shell).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.access.models import ApiToken

LOGIN_TOKEN_NAME = "login"  # noqa: S105 (the name of login tokens, not a secret)
# last_used_at is a hint for people cleaning up tokens, not an access log: one write a
# minute per token at most keeps busy scripts from writing the row on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _expired_tokens_delete(*, user: AbstractBaseUser) -> None:
    # Expired tokens never authenticate again; they go when the user gets a new one, so
    # scripts that log in on every run do not pile up rows.
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()


def token_create(*, user: AbstractBaseUser, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new named token for `user`; returns it with its value, which is never available again.

    It expires after `expires_in_days` (default API_TOKEN_DEFAULT_TTL_DAYS); callers bound it
    by API_TOKEN_MAX_TTL_DAYS when the number comes from a person.
    """
    if expires_in_days is None:
        expires_in_days = settings.API_TOKEN_DEFAULT_TTL_DAYS
    with transaction.atomic():
        _expired_tokens_delete(user=user)
        return ApiToken.objects.create(user=user, expiry=timedelta(days=expires_in_days), name=name)


def login_token_issue(*, user: AbstractBaseUser) -> tuple[ApiToken, str]:
    """A short-lived token for a username/password exchange (POST /api/auth/token/)."""
    with transaction.atomic():
        _expired_tokens_delete(user=user)
        issued = ApiToken.objects.create(
            user=user, expiry=timedelta(hours=settings.API_LOGIN_TOKEN_TTL_HOURS), name=LOGIN_TOKEN_NAME
        )
        _surplus_login_tokens_revoke(user=user)
        return issued


def _surplus_login_tokens_revoke(*, user: AbstractBaseUser) -> None:
    # A script or a readiness poller that logs in on every run would otherwise pile up live
    # tokens: past API_LOGIN_TOKENS_PER_USER, the oldest login tokens are revoked (personal,
    # named tokens are never touched). Deleted one by one so each revocation is audited.
    surplus = ApiToken.objects.filter(user=user, name=LOGIN_TOKEN_NAME).order_by("-created", "-pk")[
        settings.API_LOGIN_TOKENS_PER_USER :
    ]
    for token in surplus:
        token_revoke(token=token)


def token_revoke(*, token: ApiToken) -> None:
    """Delete `token`: requests that present it fail from now on."""
    token.delete()


def token_mark_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Note that `token` authenticated a request, at most once per LAST_USED_RESOLUTION."""
    now = now or timezone.now()
    stale_before = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale_before:
        return
    # A conditional UPDATE, not a save(): concurrent requests write once, and nothing else
    # in the row can be overwritten with a stale copy.
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before))
        .update(last_used_at=now)
    )
    if updated:
        token.last_used_at = now

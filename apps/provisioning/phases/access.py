"""Phase 1, access: reset the root password at the provider and keep the new one, encrypted."""

from __future__ import annotations

from django.conf import settings

from apps.integrations.providers import ActionKind
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.provider_actions import (
    Completed,
    password_known,
    provider_action_follow,
    root_password_store,
)


def password_reset(ctx: PhaseContext, **detail: bool) -> Wait | None:
    """Reset the root password and keep the new one (finalize uses it too); `detail` is recorded."""
    result = provider_action_follow(
        ctx,
        kind=ActionKind.RESET_PASSWORD,
        what="password reset",
        start=lambda provider, provider_id: provider.reset_password(provider_id),
        deadline_seconds=settings.PROVISIONING_ACCESS_DEADLINE_SECONDS,
        needs_results=True,  # a reset is safe to repeat, and only its answer holds the password
    )
    if isinstance(result, Wait):
        return result
    assert isinstance(result, Completed)
    password = password_known(ctx, result)
    if not password:
        raise PhaseError("the provider's password reset completed without a new password", retryable=False)
    root_password_store(ctx, password)
    ctx.record_fact(detail={**ctx.record.detail, **detail, "password_stored": True})
    return None


def step(ctx: PhaseContext) -> Done | Wait:
    return password_reset(ctx) or Done()

"""Phase 1, access: reset the root password at the provider and keep the new one, encrypted."""

from __future__ import annotations

from django.conf import settings

from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.provider_actions import Completed, provider_action_follow, root_password_store

TASK_NAME = "server_reset_password"


def step(ctx: PhaseContext) -> Done | Wait:
    result = provider_action_follow(
        ctx,
        task_name=TASK_NAME,
        what="password reset",
        start=lambda client, server_id: client.reset_password(server_id),
        deadline_seconds=settings.PROVISIONING_ACCESS_DEADLINE_SECONDS,
        needs_results=True,  # a reset is safe to repeat, and only its results hold the password
    )
    if isinstance(result, Wait):
        return result
    assert isinstance(result, Completed)
    assert result.task is not None
    password = result.task.password()
    if not password:
        raise PhaseError("the provider's password reset completed without a new password", retryable=False)
    root_password_store(ctx, password)
    ctx.record_fact(detail={**ctx.record.detail, "password_stored": True})
    return Done()

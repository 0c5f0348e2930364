"""Phase 5, finalize: before declaring success, make sure of what operators rely on.

- A root password the reinstall replaced without telling the new one (services/provider_actions.py
  root_password_forget) is reset at the provider, once, and the new one kept: a ready server never
  has a stale password on record.
- The platform's key and the pinned host key let it in, and a health check passes (recorded like
  any other check).
"""

from __future__ import annotations

from django.conf import settings

from apps.monitoring.choices import CheckOutcome
from apps.monitoring.services import health_check_now
from apps.provisioning.phases.access import TASK_NAME as RESET_TASK_NAME
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.provider_actions import Completed, provider_action_follow, root_password_store
from apps.servers.choices import RootPasswordState
from apps.servers.models import Server

# A degraded server (a disk filling up, say) is reachable and configured: its own incident tells.
PASSING = (CheckOutcome.HEALTHY, CheckOutcome.DEGRADED)


def _reset_unknown_password(ctx: PhaseContext) -> Wait | None:
    state = Server.objects.filter(pk=ctx.server.pk).values_list("root_password_state", flat=True).first()
    if state != RootPasswordState.UNKNOWN:
        return None
    result = provider_action_follow(
        ctx,
        task_name=RESET_TASK_NAME,
        what="password reset",
        start=lambda client, server_id: client.reset_password(server_id),
        deadline_seconds=settings.PROVISIONING_ACCESS_DEADLINE_SECONDS,
        needs_results=True,  # only the reset's results hold the password
    )
    if isinstance(result, Wait):
        return result
    assert isinstance(result, Completed)
    assert result.task is not None
    password = result.task.password()
    if not password:
        raise PhaseError("the provider's password reset completed without a new password", retryable=False)
    root_password_store(ctx, password)
    ctx.record_fact(detail={**ctx.record.detail, "password_reset": True, "password_stored": True})
    ctx.log.info("provisioning_unknown_root_password_reset")
    return None


def step(ctx: PhaseContext) -> Done | Wait:
    waiting = _reset_unknown_password(ctx)
    if waiting is not None:
        return waiting
    # The health check logs in with the server's key (or the default key) against the pinned host
    # key: passing it is the proof that the platform can reach the configured server.
    outcome = health_check_now(server_id=ctx.server.pk)
    if outcome is None:
        raise PhaseError("the server no longer exists", retryable=False)
    if outcome.outcome not in PASSING:
        reason = outcome.error or ", ".join(problem.message for problem in outcome.problems) or outcome.outcome
        raise PhaseError(f"the health check after provisioning failed ({outcome.outcome}): {reason}", retryable=True)
    ctx.record_fact(detail={**ctx.record.detail, "health": outcome.outcome})
    return Done()

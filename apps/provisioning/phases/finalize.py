"""Phase 5, finalize: before declaring success, make sure of what operators rely on.

- A root password the reinstall replaced without telling the new one (services/provider_actions.py
  root_password_forget) is reset at the provider, once, and the new one kept: a ready server never
  has a stale password on record.
- The platform's key and the pinned host key let it in, and a health check passes (recorded like
  any other check).
"""

from __future__ import annotations

from apps.monitoring.choices import CheckOutcome
from apps.monitoring.services import health_check_now
from apps.provisioning.phases.access import password_reset
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.servers.choices import RootPasswordState
from apps.servers.models import Server

# A degraded server (a disk filling up, say) is reachable and configured: its own incident tells.
PASSING = (CheckOutcome.HEALTHY, CheckOutcome.DEGRADED)


def _reset_unknown_password(ctx: PhaseContext) -> Wait | None:
    state = Server.objects.filter(pk=ctx.server.pk).values_list("root_password_state", flat=True).first()
    if state != RootPasswordState.UNKNOWN:
        return None
    waiting = password_reset(ctx, password_reset=True)
    if waiting is not None:
        return waiting
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

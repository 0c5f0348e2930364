"""Phase 5, finalize: verify before declaring success — the platform's key and the pinned host key
let it in, and a health check passes (recorded like any other check)."""

from __future__ import annotations

from apps.monitoring.choices import CheckOutcome
from apps.monitoring.services import health_check_now
from apps.provisioning.services.engine import Done, PhaseContext, PhaseError, Wait

# A degraded server (a disk filling up, say) is reachable and configured: its own incident tells.
PASSING = (CheckOutcome.HEALTHY, CheckOutcome.DEGRADED)


def step(ctx: PhaseContext) -> Done | Wait:
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

"""Provider actions that must never happen twice: record the intent, ask once, follow the action.

The intent is recorded immediately before the request, in the transaction that checks this attempt
still holds the run (PhaseContext.effect_begin): an attempt superseded meanwhile (its worker
froze, and another attempt took the run over) stops there and asks for nothing. A later attempt
that finds an intent without an action id (the worker died, the answer was lost) asks the
provider for such an action started since the intent (the adapter's `find_action`) and asks
again only when there is none. The action is then polled by re-scheduled tasks with backoff, up
to the phase's deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from apps.integrations.providers import (
    ActionKind,
    ActionStatus,
    ProviderAction,
    ProviderAdapter,
    ProviderError,
    ProviderRequestMaybeSent,
)
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import PhaseError, Wait
from apps.servers.models import Server
from apps.servers.provider import provider_for
from apps.servers.services import (
    server_provider_task_finished,
    server_root_password_forget,
    server_root_password_store,
)

# The provider's clock may run behind ours: an action started this long before the recorded intent
# still counts as the one the platform asked for.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class Completed:
    """The action succeeded. `action.root_password` is None when the provider told none, or when
    the action was found only in the provider's history (which carries no password)."""

    action: ProviderAction


def provider_of(ctx: PhaseContext) -> ProviderAdapter:
    return provider_for(ctx.server.provider_account)


def as_phase_error(error: ProviderError) -> PhaseError:
    return PhaseError(str(error), retryable=error.retryable)


def provider_action_follow(
    ctx: PhaseContext,
    *,
    kind: ActionKind,
    what: str,
    start: Callable[[ProviderAdapter, str], ProviderAction],
    deadline_seconds: float,
    needs_results: bool = False,
) -> Completed | Wait:
    """Start the action once (see the module's docstring) and follow it to its end.

    `start(provider, provider_id)` makes the request. With `needs_results`, an action found only
    in the provider's history (its answer, and the password in it, lost) does not count: the
    action is asked for again once the server is free — only for actions safe to repeat.
    """
    record, provider_id = ctx.record, ctx.server.provider_id
    deadline = ctx.deadline(deadline_seconds)
    now = timezone.now()

    def wait_or_give_up(reason: str) -> Wait:
        if now >= deadline:
            action = f" (action #{record.provider_task_id})" if record.provider_task_id else ""
            raise PhaseError(
                f"the provider's {what}{action} did not complete within {deadline_seconds:g}s", retryable=False
            )
        return Wait(ctx.next_poll_seconds(), reason)

    try:
        with provider_of(ctx) as provider:
            if record.provider_task_id is None:
                if record.intent_at is not None:
                    found = provider.find_action(provider_id, kind, since=record.intent_at - CLOCK_SKEW)
                    if found is not None and found.action_id is not None and not needs_results:
                        ctx.record_fact(provider_task_id=found.action_id)  # adopted: followed below
                    elif found is not None and found.status == ActionStatus.RUNNING:
                        return wait_or_give_up(f"the {what} asked for earlier is still running")
                    elif found is not None and not needs_results:
                        return _finished(ctx, found, what)
                if record.provider_task_id is None:
                    busy_with = provider.get_server(provider_id).busy_with
                    if busy_with:
                        return wait_or_give_up(f"the server is busy at the provider ({busy_with})")
                    ctx.effect_begin(intent_at=now, provider_task_completed_at=None, provider_task_id=None)
                    started = start(provider, provider_id)
                    ctx.record_fact(provider_task_id=started.action_id)
                    ctx.log.info("provider_action_started", action=what, provider_task_id=started.action_id)
                    if started.root_password:
                        # Some providers tell the new password only in the answer that starts the
                        # action: kept now (encrypted), since a later poll cannot read it again.
                        root_password_store(ctx, started.root_password)
                    ctx.record_fact(detail={**ctx.record.detail, "password_from_start": bool(started.root_password)})
            action = provider.get_action(provider_id, record.provider_task_id)
    except ProviderRequestMaybeSent as error:
        # The intent is on record: the next attempt asks the provider for the action before it
        # would ask again, so trying again (after the retry backoff) cannot act twice.
        raise PhaseError(f"{error}; the next attempt looks for it at the provider first", retryable=True) from None
    except ProviderError as error:
        raise as_phase_error(error) from None
    if not action.finished:
        return wait_or_give_up(f"the provider's {what} is running")
    return _finished(ctx, action, what)


def _finished(ctx: PhaseContext, action: ProviderAction, what: str) -> Completed:
    if action.status == ActionStatus.FAILED:
        raise PhaseError(f"the provider's {what} failed: {action.error or 'no reason given'}", retryable=False)
    ctx.record_fact(provider_task_completed_at=action.finished_at or timezone.now())
    # The inventory still says busy if the last sync saw this action running.
    server_provider_task_finished(server_id=ctx.server.pk, task_name=action.name)
    return Completed(action=action)


def password_known(ctx: PhaseContext, result: Completed) -> str | None:
    """The new root password the action handed out: from its end, or kept when it started."""
    if result.action.root_password:
        return result.action.root_password
    if ctx.record.detail.get("password_from_start") and result.action.action_id == ctx.record.provider_task_id:
        return Server.objects.get(pk=ctx.server.pk).root_password or None
    return None


def root_password_store(ctx: PhaseContext, password: str) -> None:
    """Keep the root password the provider handed out (encrypted at rest: saved through the field)."""
    with ctx.owned():
        server_root_password_store(server_id=ctx.server.pk, password=password)


def root_password_forget(ctx: PhaseContext) -> None:
    """The provider replaced the root password without telling the new one: the stored one is stale.
    It is dropped and marked unknown (never shown as current) until a reset hands out a new one."""
    with ctx.owned():
        server_root_password_forget(server_id=ctx.server.pk)
    ctx.log.warning("provisioning_root_password_unknown")

"""Provider actions that must never happen twice: record the intent, ask once, follow the task.

The intent is recorded immediately before the request, in the transaction that checks this attempt
still holds the run (PhaseContext.effect_begin): an attempt superseded meanwhile (its worker
froze, and another attempt took the run over) stops there and asks for nothing. A later attempt
that finds an intent without a task id (the worker died, the answer was lost) looks at the
server's `active_task` and `last_tasks` at the provider first, and asks again only when the
provider shows no such task since the intent. The task is then polled by re-scheduled tasks with
backoff, up to the phase's deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from apps.integrations.time4vps import ProviderTask, ServerDetails, Time4VPSClient, Time4VPSError
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import PhaseError, Wait
from apps.servers.choices import RootPasswordState
from apps.servers.models import Server
from apps.servers.provider import provider_client_for
from apps.servers.services import server_provider_task_finished

# The provider's clock may run behind ours: a task activated this long before the recorded intent
# still counts as the one the platform asked for.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class Completed:
    """The action's task completed; `task` is None when it was found only in `last_tasks`
    (which carry no id and no results)."""

    task: ProviderTask | None


def provider_server_id(ctx: PhaseContext) -> int:
    try:
        return int(ctx.server.provider_id)
    except ValueError:
        raise PhaseError(f"the provider id {ctx.server.provider_id!r} is not a number", retryable=False) from None


def client_for(ctx: PhaseContext) -> Time4VPSClient:
    return provider_client_for(ctx.server.provider_account)


def as_phase_error(error: Time4VPSError) -> PhaseError:
    return PhaseError(str(error), retryable=error.retryable)


def _ours(activated: datetime | None, intent_at: datetime) -> bool:
    return activated is None or activated >= intent_at - CLOCK_SKEW


def _look_for_started(details: ServerDetails, task_name: str, intent_at: datetime) -> str:
    """ "running", "completed" or "absent": what became of an action asked for at `intent_at`."""
    active = details.active_task
    if active is not None and active.name == task_name and _ours(active.activated, intent_at):
        return "running"
    for task in details.last_tasks:
        if task.name == task_name and _ours(task.activated, intent_at):
            return "running" if task.completed is None else "completed"
    return "absent"


def provider_action_follow(
    ctx: PhaseContext,
    *,
    task_name: str,
    what: str,
    start: Callable[[Time4VPSClient, int], int],
    deadline_seconds: float,
    needs_results: bool = False,
) -> Completed | Wait:
    """Start the action once (see the module's docstring) and follow its task to completion.

    `start(client, server_id)` makes the request and returns the provider's task id. With
    `needs_results`, a task found only in `last_tasks` (no id, so no results) does not count:
    the action is asked for again once the server is free — only for actions safe to repeat.
    """
    record, server_id = ctx.record, provider_server_id(ctx)
    deadline = ctx.deadline(deadline_seconds)
    now = timezone.now()

    def wait_or_give_up(reason: str) -> Wait:
        if now >= deadline:
            task = f" (task #{record.provider_task_id})" if record.provider_task_id else ""
            raise PhaseError(
                f"the provider's {what} task{task} did not complete within {deadline_seconds:g}s", retryable=False
            )
        return Wait(ctx.next_poll_seconds(), reason)

    try:
        with client_for(ctx) as client:
            if record.provider_task_id is None:
                details = client.get_server(server_id)
                if record.intent_at is not None:
                    found = _look_for_started(details, task_name, record.intent_at)
                    if found == "running":
                        return wait_or_give_up(f"the {what} asked for earlier is still running")
                    if found == "completed" and not needs_results:
                        ctx.record_fact(provider_task_completed_at=now)
                        server_provider_task_finished(server_id=ctx.server.pk, task_name=task_name)
                        return Completed(task=None)
                if details.active_task is not None:
                    return wait_or_give_up(f"the server is busy at the provider ({details.active_task.name})")
                ctx.effect_begin(intent_at=now, provider_task_completed_at=None, provider_task_id=None)
                task_id = start(client, server_id)
                ctx.record_fact(provider_task_id=task_id)
                ctx.log.info("provider_action_started", action=what, provider_task_id=task_id)
            task = client.get_task(server_id, record.provider_task_id)
    except Time4VPSError as error:
        raise as_phase_error(error) from None
    if task.done:
        ctx.record_fact(provider_task_completed_at=task.completed)
        # The inventory still says busy if the last sync saw this task running.
        server_provider_task_finished(server_id=ctx.server.pk, task_name=task_name)
        return Completed(task=task)
    return wait_or_give_up(f"the provider's {what} task is running")


def root_password_store(ctx: PhaseContext, password: str) -> None:
    """Keep the root password the provider handed out (encrypted at rest: saved through the field)."""
    with ctx.owned():
        server = Server.objects.get(pk=ctx.server.pk)
        server.root_password = password
        server.root_password_state = RootPasswordState.CURRENT
        server.save(update_fields=["root_password", "root_password_state"])


def root_password_forget(ctx: PhaseContext) -> None:
    """The provider replaced the root password without telling the new one: the stored one is stale.
    It is dropped and marked unknown (never shown as current) until a reset hands out a new one."""
    with ctx.owned():
        server = Server.objects.get(pk=ctx.server.pk)
        server.root_password = ""
        server.root_password_state = RootPasswordState.UNKNOWN
        server.save(update_fields=["root_password", "root_password_state"])
    ctx.log.warning("provisioning_root_password_unknown")

"""Phase 2, reinstall: wipe the server with the chosen OS and the platform's key — exactly once."""

from __future__ import annotations

from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.integrations.time4vps import Time4VPSError
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.provider_actions import (
    Completed,
    as_phase_error,
    client_for,
    provider_action_follow,
    provider_server_id,
    root_password_forget,
    root_password_store,
)
from apps.provisioning.services.targets import platform_key_for
from apps.servers.choices import Connection

TASK_NAME = "server_recreate"


def _check_os(ctx: PhaseContext) -> None:
    """The template must be one the server offers (checked again here: the offer may have changed)."""
    try:
        with client_for(ctx) as client:
            offered = {template.os for template in client.list_oses(provider_server_id(ctx))}
    except Time4VPSError as error:
        raise as_phase_error(error) from None
    if ctx.run.os_template not in offered:
        raise PhaseError(f"the server does not offer the OS template {ctx.run.os_template!r}", retryable=False)


def _public_key(ctx: PhaseContext) -> str | None:
    """The key the fresh system lets in: required for SSH servers, optional for `local` ones."""
    try:
        return platform_key_for(ctx.server).public_key
    except ValidationError as error:
        if ctx.server.connection == Connection.LOCAL:
            return None
        raise PhaseError(str(error), retryable=False) from None


def step(ctx: PhaseContext) -> Done | Wait:
    if ctx.record.intent_at is None:
        _check_os(ctx)
    public_key = _public_key(ctx)
    result = provider_action_follow(
        ctx,
        task_name=TASK_NAME,
        what="reinstall",
        start=lambda client, server_id: client.reinstall(server_id, os=ctx.run.os_template, ssh_key=public_key),
        deadline_seconds=settings.PROVISIONING_REINSTALL_DEADLINE_SECONDS,
    )
    if isinstance(result, Wait):
        return result
    assert isinstance(result, Completed)
    # A reinstall sets a new root password; keep it when the task tells it. A reinstall found only in
    # the provider's task history (a worker died before it recorded the task id) tells none: the
    # stored password is stale, marked unknown, and finalize resets it before the server is ready.
    password = result.task.password() if result.task else None
    if password:
        root_password_store(ctx, password)
    else:
        root_password_forget(ctx)
    ctx.record_fact(
        detail={
            **ctx.record.detail,
            "os": ctx.run.os_template,
            "password_stored": bool(password),
            "password_unknown": not password,
        }
    )
    return Done()

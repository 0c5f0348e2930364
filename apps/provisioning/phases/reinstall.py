"""Phase 2, reinstall: wipe the server with the chosen OS and the platform's key — exactly once."""

from __future__ import annotations

from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.integrations.providers import ActionKind, ProviderError
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.provider_actions import (
    Completed,
    as_phase_error,
    password_known,
    provider_action_follow,
    provider_of,
    root_password_forget,
    root_password_store,
)
from apps.provisioning.services.targets import platform_key_for
from apps.servers.choices import Connection


def _check_os(ctx: PhaseContext) -> None:
    """The template must be one the server offers (checked again here: the offer may have changed)."""
    try:
        with provider_of(ctx) as provider:
            offered = {image.code for image in provider.list_images(ctx.server.provider_id)}
    except ProviderError as error:
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
        kind=ActionKind.REINSTALL,
        what="reinstall",
        start=lambda provider, provider_id: provider.reinstall(
            provider_id, image=ctx.run.os_template, public_key=public_key
        ),
        deadline_seconds=settings.PROVISIONING_REINSTALL_DEADLINE_SECONDS,
    )
    if isinstance(result, Wait):
        return result
    assert isinstance(result, Completed)
    # A reinstall sets a new root password; keep it when the provider tells it. A reinstall found
    # only in the provider's history (a worker died before it recorded the action id) tells none:
    # the stored password is stale, marked unknown, and finalize resets it before the server is ready.
    password = password_known(ctx, result)
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

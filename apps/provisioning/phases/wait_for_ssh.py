"""Phase 3, wait for SSH: poll until the server lets the platform's key in, then pin its new host key.

A reinstall legitimately changes the host key, so the pin is replaced here — and only here.
"""

from __future__ import annotations

import shlex

from django.conf import settings
from django.utils import timezone

from apps.core.exceptions import ValidationError
from apps.integrations.ssh import SshAuthenticationError, SshError, run_checks, run_local_checks
from apps.monitoring.choices import IncidentKind
from apps.monitoring.services import incidents_close, notifications_queue
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.provider_actions import provider_of
from apps.provisioning.services.targets import platform_key_for
from apps.servers.choices import Connection, RootPasswordState
from apps.servers.models import Server
from apps.servers.services import server_host_key_pin
from apps.servers.ssh_targets import ssh_address_problem

READY_COMMAND = {"ready": "true"}


def step(ctx: PhaseContext) -> Done | Wait:
    server = ctx.server
    deadline = ctx.deadline(settings.PROVISIONING_SSH_DEADLINE_SECONDS)
    if server.connection == Connection.LOCAL:
        result = run_local_checks(commands=READY_COMMAND, command_timeout=settings.HEALTH_COMMAND_TIMEOUT_SECONDS)
        if result.outputs["ready"].exit_status != 0:
            raise PhaseError("the platform's own machine could not run a command", retryable=True)
        return Done()
    try:
        key = platform_key_for(server)
    except ValidationError as error:
        raise PhaseError(str(error), retryable=False) from None
    problem = ssh_address_problem(server.effective_ssh_host)
    if problem:  # waiting would not help: the address is refused before every connection
        raise PhaseError(problem, retryable=False)
    try:
        try:
            result = _login(server, private_key=key.private_key, commands=READY_COMMAND)
        except SshAuthenticationError:
            if not _install_key_with_root_password(ctx, key.public_key):
                raise
            result = _login(server, private_key=key.private_key, commands=READY_COMMAND)
        ready = result.outputs["ready"].exit_status == 0
        problem = "" if ready else "the server accepted the key but could not run a command"
    except SshError as error:
        ready, problem = False, str(error)
    if not ready:
        if timezone.now() >= deadline:
            raise PhaseError(
                f"SSH did not let the platform's key in within {settings.PROVISIONING_SSH_DEADLINE_SECONDS}s "
                f"(last: {problem})",
                retryable=False,
            )
        return Wait(ctx.next_poll_seconds(), problem)
    with ctx.owned():  # a superseded attempt (its worker froze meanwhile) pins nothing
        server_host_key_pin(server_id=server.pk, host_key=result.host_key, fingerprint=result.host_key_fingerprint)
        notifications_queue(events=incidents_close(server=server, kind=IncidentKind.HOST_KEY_MISMATCH))
    ctx.record_fact(detail={**ctx.record.detail, "host_key_fingerprint": result.host_key_fingerprint})
    ctx.log.info("provisioning_host_key_pinned", fingerprint=result.host_key_fingerprint)
    return Done()


def _login(server, *, commands: dict[str, str], private_key: str | None = None, password: str | None = None):
    return run_checks(
        host=server.effective_ssh_host,
        port=server.ssh_port,
        username=server.ssh_user,
        private_key=private_key,
        password=password,
        pinned_host_key=None,  # whatever key the fresh system generated: it is pinned by step()
        commands=commands,
        connect_timeout=settings.PROVISIONING_SSH_CONNECT_TIMEOUT_SECONDS,
        command_timeout=settings.HEALTH_COMMAND_TIMEOUT_SECONDS,
    )


def _install_key_with_root_password(ctx: PhaseContext, public_key: str) -> bool:
    """Where the provider's reinstall may not have let the key in, log in once with the root
    password it handed out and add the key to authorized_keys (idempotent). Returns whether it did."""
    server = ctx.server
    with provider_of(ctx) as provider:
        installs_key = provider.installs_key_on_reinstall
    if installs_key:
        return False
    row = Server.objects.get(pk=server.pk)
    if row.root_password_state != RootPasswordState.CURRENT or not row.root_password:
        return False
    password = row.root_password
    quoted = shlex.quote(public_key.strip())
    install = (
        f"umask 077 && mkdir -p ~/.ssh && "
        f"(grep -qxF {quoted} ~/.ssh/authorized_keys 2>/dev/null || printf '%s\\n' {quoted} >> ~/.ssh/authorized_keys)"
    )
    result = _login(server, password=password, commands={"install": install})
    if result.outputs["install"].exit_status != 0:
        raise PhaseError("logged in with the root password but could not add the platform's key", retryable=True)
    ctx.record_fact(detail={**ctx.record.detail, "key_installed_with_password": True})
    ctx.log.info("provisioning_key_installed_with_root_password")
    return True

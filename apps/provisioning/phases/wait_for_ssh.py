"""Phase 3, wait for SSH: poll until the server lets the platform's key in, then pin its new host key.

A reinstall legitimately changes the host key, so the pin is replaced here — and only here.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from apps.core.exceptions import ValidationError
from apps.integrations.ssh import SshError, run_checks, run_local_checks, ssh_host_problem
from apps.monitoring.choices import IncidentKind
from apps.monitoring.services import incidents_close, notifications_queue
from apps.provisioning.services.context import PhaseContext
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.targets import platform_key_for
from apps.servers.choices import Connection
from apps.servers.models import Server

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
    if not server.effective_ssh_host:
        raise PhaseError("no address: the server has no IP and no SSH host", retryable=False)
    problem = ssh_host_problem(server.effective_ssh_host)
    if problem:  # waiting would not help: the address is refused before every connection
        raise PhaseError(
            f"refusing the SSH address {server.effective_ssh_host!r}: {problem}; correct the server's SSH host",
            retryable=False,
        )
    try:
        result = run_checks(
            host=server.effective_ssh_host,
            port=server.ssh_port,
            username=server.ssh_user,
            private_key=key.private_key,
            pinned_host_key=None,  # whatever key the fresh system generated: it is pinned below
            commands=READY_COMMAND,
            connect_timeout=settings.PROVISIONING_SSH_CONNECT_TIMEOUT_SECONDS,
            command_timeout=settings.HEALTH_COMMAND_TIMEOUT_SECONDS,
        )
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
        Server.objects.filter(pk=server.pk).update(
            host_key=result.host_key,
            host_key_fingerprint=result.host_key_fingerprint,
            offered_host_key="",
            offered_host_key_fingerprint="",
        )
        notifications_queue(events=incidents_close(server=server, kind=IncidentKind.HOST_KEY_MISMATCH))
    ctx.record_fact(detail={**ctx.record.detail, "host_key_fingerprint": result.host_key_fingerprint})
    ctx.log.info("provisioning_host_key_pinned", fingerprint=result.host_key_fingerprint)
    return Done()

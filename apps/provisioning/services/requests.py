"""What operators ask for: provision a server, run a playbook, retry a run, cancel a run."""

from __future__ import annotations

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record, audit_refusals
from apps.core.exceptions import ConflictError, ServiceUnavailableError, ValidationError
from apps.integrations.providers import ProviderError, ProviderRefused
from apps.provisioning.choices import PHASES_BY_KIND, RunKind, RunStatus
from apps.provisioning.limits import stall_bound
from apps.provisioning.models import ProvisioningPhase, ProvisioningRun
from apps.provisioning.selectors import provisioning_run_active
from apps.provisioning.services import transitions
from apps.provisioning.services.outcomes import run_canceled
from apps.provisioning.services.playbooks import playbook_check, playbook_default
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from apps.servers.provider import provider_for
from apps.servers.services import server_lifecycle_move

log = structlog.get_logger(__name__)

PROVISIONABLE = (Lifecycle.DISCOVERED, Lifecycle.READY, Lifecycle.FAILED)
CONFIRM_MESSAGE = 'a reinstall wipes the server, its data and its backups: confirm it to go ahead ("confirm": true)'


def _user(user):
    return user if user is not None and user.is_authenticated else None


def _conflict_if_active(server: Server) -> None:
    active = provisioning_run_active(server=server)
    if active is not None:
        raise ConflictError(
            f"{server} already has an active provisioning run (#{active.pk})", extra={"active_run_id": active.pk}
        )


def server_os_templates(server: Server) -> list[tuple[str, str]]:
    """The OS templates the provider offers for the server, as (code, title). Raises
    ServiceUnavailableError when the provider cannot be asked."""
    try:
        with provider_for(server.provider_account) as provider:
            return [(image.code, image.title) for image in provider.list_images(server.provider_id)]
    except ProviderRefused as error:
        raise ValidationError({"os": [str(error)]}) from None
    except ProviderError as error:
        raise ServiceUnavailableError(f"could not read the server's OS templates from the provider: {error}") from None


def _audit_requested(run: ProvisioningRun, *, action: AuditAction, user) -> None:
    audit_record(
        action=action,
        actor=user,
        target=run,
        detail={
            "server_id": run.server_id,
            "kind": run.kind,
            "phase": run.phase,
            "status": run.status,
            "os": run.os_template,
            "playbook": run.playbook,
        },
    )


def run_dispatch(*, run: ProvisioningRun) -> None:
    """Queue the run's current phase once the caller's transaction commits. A run the broker cannot
    take is failed at once, so that it never blocks the next request, and the caller gets
    ServiceUnavailableError (the API's 503): transitions.phase_send."""
    transitions.phase_send(run_id=run.pk, phase=run.phase, token=run.token)


def run_create(*, server: Server, kind: RunKind, os_template: str, playbook: str, user) -> ProvisioningRun:
    phases = PHASES_BY_KIND[kind]
    try:
        with transaction.atomic():
            run = ProvisioningRun.objects.create(
                server=server,
                kind=kind,
                os_template=os_template,
                playbook=playbook,
                requested_by=_user(user),
                phase=phases[0],
                lifecycle_before=server.lifecycle,
                stalled_after=timezone.now() + stall_bound(phases[0]),
            )
            ProvisioningPhase.objects.bulk_create(
                [ProvisioningPhase(run=run, phase=phase, position=n) for n, phase in enumerate(phases)]
            )
            if kind == RunKind.PROVISION and not server_lifecycle_move(server_id=server.pk, to=Lifecycle.PENDING_SETUP):
                raise ConflictError(f"{server} changed state meanwhile: ask again")
    except IntegrityError:  # another request created the server's active run first
        _conflict_if_active(server)
        raise
    run_dispatch(run=run)
    log.info("provisioning_run_requested", run_id=run.pk, server_id=server.pk, kind=kind, playbook=playbook)
    return run


def provision_request(
    *, server: Server, os_template: str, playbook: str | None = None, confirm: bool = False, user=None
) -> ProvisioningRun:
    """Reinstall `server` with `os_template` and configure it with `playbook` (default: the one
    for its connection). Raises ValidationError (400), ConflictError (409) or ServiceUnavailableError."""
    asked = {"os": os_template, "playbook": playbook, "confirm": confirm}
    with audit_refusals(action=AuditAction.PROVISION, actor=user, target=server, detail=asked):
        run = _provision(server=server, os_template=os_template, playbook=playbook, confirm=confirm, user=user)
    _audit_requested(run, action=AuditAction.PROVISION, user=user)
    return run


def _provision(*, server: Server, os_template: str, playbook: str | None, confirm: bool, user) -> ProvisioningRun:
    # The request itself first (400), then the server's state (409): a caller with a wrong body
    # learns that whatever the server is doing. Only the OS check waits for the state checks, as
    # it asks the provider about a server that must still be there.
    if confirm is not True:
        raise ValidationError({"confirm": [CONFIRM_MESSAGE]})
    if not isinstance(os_template, str) or not os_template.strip():
        raise ValidationError({"os": ["choose one of the OS templates the server offers"]})
    playbook = playbook_check(server=server, playbook=playbook or playbook_default(server))
    # An active run first: it is why the server is pending setup, and the answer names it.
    _conflict_if_active(server)
    if server.lifecycle not in PROVISIONABLE:
        raise ConflictError(
            f"{server} is {server.get_lifecycle_display().lower()}: only a discovered, ready or failed server "
            "can be provisioned"
        )
    offered = [code for code, _ in server_os_templates(server)]
    if os_template not in offered:
        raise ValidationError({"os": [f"{server} does not offer {os_template!r}; it offers: {', '.join(offered)}"]})
    if server.busy:
        raise ConflictError(f"{server} is busy at the provider ({server.active_task or 'a task'}): try again later")
    return run_create(server=server, kind=RunKind.PROVISION, os_template=os_template, playbook=playbook, user=user)


def playbook_run_request(*, server: Server, playbook: str, user=None) -> ProvisioningRun:
    """Run `playbook` on a ready server without reinstalling it (the Ansible phase alone)."""
    with audit_refusals(action=AuditAction.RUN_PLAYBOOK, actor=user, target=server, detail={"playbook": playbook}):
        run = _playbook_run(server=server, playbook=playbook, user=user)
    _audit_requested(run, action=AuditAction.RUN_PLAYBOOK, user=user)
    return run


def _playbook_run(*, server: Server, playbook: str, user) -> ProvisioningRun:
    if not playbook:
        raise ValidationError({"playbook": ["name the playbook to run"]})
    playbook = playbook_check(server=server, playbook=playbook)
    _conflict_if_active(server)
    if server.lifecycle != Lifecycle.READY:
        raise ConflictError(f"{server} is {server.get_lifecycle_display().lower()}: playbooks run on ready servers")
    return run_create(server=server, kind=RunKind.PLAYBOOK, os_template="", playbook=playbook, user=user)


def run_retry(*, run: ProvisioningRun, user=None) -> ProvisioningRun:
    """Resume a failed or canceled run from the phase it stopped in, with a fresh attempt budget.
    What the run recorded (a provider task already asked for, say) is kept, so nothing is redone."""
    with audit_refusals(action=AuditAction.RUN_RETRY, actor=user, target=run, detail={"status": run.status}):
        run = _retry(run=run, user=user)
    _audit_requested(run, action=AuditAction.RUN_RETRY, user=user)
    return run


def _retry(*, run: ProvisioningRun, user) -> ProvisioningRun:
    if run.status not in (RunStatus.FAILED, RunStatus.CANCELED):
        raise ConflictError(f"run #{run.pk} is {run.status}: only a failed or canceled run can be retried")
    latest = ProvisioningRun.objects.filter(server_id=run.server_id).order_by("-created_at", "-id").first()
    if latest is not None and latest.pk != run.pk:
        raise ConflictError(f"run #{latest.pk} is newer for this server: retry that one, or ask for a new run")
    server = Server.objects.get(pk=run.server_id)
    if server.lifecycle == Lifecycle.REMOVED:
        raise ConflictError(f"{server} was removed at the provider")
    try:
        with transaction.atomic():
            if not transitions.run_retry_claim(run=run):
                raise ConflictError(f"run #{run.pk} changed state meanwhile: ask again")
            if run.kind == RunKind.PROVISION:
                server_lifecycle_move(server_id=server.pk, to=Lifecycle.PENDING_SETUP)
    except IntegrityError:
        _conflict_if_active(server)
        raise
    run.refresh_from_db()
    log.info("provisioning_run_retried", run_id=run.pk, phase=run.phase, user_id=getattr(_user(user), "pk", None))
    return run


def run_cancel(*, run: ProvisioningRun, user=None) -> ProvisioningRun:
    """Stop an active run. A running playbook is stopped through its cancel callback within
    seconds; a provider task already started is left to finish, and the run says so."""
    with audit_refusals(action=AuditAction.RUN_CANCEL, actor=user, target=run):
        run = _cancel(run=run, user=user)
    _audit_requested(run, action=AuditAction.RUN_CANCEL, user=user)
    return run


def _cancel(*, run: ProvisioningRun, user) -> ProvisioningRun:
    in_flight = (
        ProvisioningPhase.objects.filter(
            run=run, provider_task_id__isnull=False, provider_task_completed_at__isnull=True
        )
        .values_list("phase", "provider_task_id")
        .first()
    )
    who = getattr(_user(user), "username", "") or "the platform"
    message = f"canceled by {who}"
    if in_flight:
        message += f"; the provider's {in_flight[0]} task #{in_flight[1]} had already started and is left to finish"
    with transaction.atomic():
        if not transitions.run_cancel_claim(run=run, user=_user(user), message=message):
            run.refresh_from_db()
            raise ConflictError(f"run #{run.pk} is {run.status}: only a queued or running run can be canceled")
        run.refresh_from_db()
        run_canceled(run=run, user=user)
    log.info("provisioning_run_canceled", run_id=run.pk, phase=run.phase, user_id=getattr(_user(user), "pk", None))
    return run

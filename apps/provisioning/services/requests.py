"""What operators ask for: provision a server, run a playbook, retry a run, cancel a run."""

from __future__ import annotations

import structlog
from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record, audit_refusals
from apps.core.exceptions import ConflictError, ServiceUnavailableError, ValidationError
from apps.integrations.time4vps import Time4VPSError
from apps.provisioning import task_names
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, PHASES_BY_KIND, PhaseStatus, RunKind, RunStatus
from apps.provisioning.models import ProvisioningPhase, ProvisioningRun
from apps.provisioning.selectors import provisioning_run_active
from apps.provisioning.services.engine import stall_bound
from apps.provisioning.services.outcomes import run_canceled, run_finished_audit
from apps.provisioning.services.playbooks import playbook_check, playbook_default
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from apps.servers.provider import provider_client_for

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
        with provider_client_for(server.provider_account) as client:
            return [(template.os, template.title) for template in client.list_oses(int(server.provider_id))]
    except ValueError:
        raise ValidationError({"os": [f"the provider id {server.provider_id!r} is not a number"]}) from None
    except Time4VPSError as error:
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
    """Queue the run's current phase once the caller's transaction commits.

    A run the broker cannot take is failed at once, so that it never blocks the next request,
    and the caller gets ServiceUnavailableError (the API's 503).
    """
    run_id, phase, token = run.pk, run.phase, run.token

    def send() -> None:
        try:
            current_app.send_task(task_names.PHASE_TASKS[phase], kwargs={"run_id": run_id, "token": token})
        except Exception as error:
            _queue_failed(run_id=run_id, token=token, error=error)
            raise ServiceUnavailableError("could not queue the run: the task broker is unavailable") from error

    transaction.on_commit(send)


def _queue_failed(*, run_id: int, token: int, error: Exception) -> None:
    run = ProvisioningRun.objects.get(pk=run_id)
    message = f"could not queue the run: broker unavailable ({type(error).__name__})"
    updated = ProvisioningRun.objects.filter(pk=run_id, token=token, status=RunStatus.QUEUED).update(
        status=RunStatus.FAILED, finished_at=timezone.now(), stalled_after=None, error=message
    )
    if updated and run.kind == RunKind.PROVISION:
        Server.objects.filter(pk=run.server_id, lifecycle=Lifecycle.PENDING_SETUP).update(
            lifecycle=run.lifecycle_before or Lifecycle.DISCOVERED
        )
    if updated:
        run_finished_audit(run, status=RunStatus.FAILED, error=message)
    log.error("provisioning_run_not_queued", run_id=run_id, error=type(error).__name__)


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
                stalled_after=timezone.now() + stall_bound(),
            )
            ProvisioningPhase.objects.bulk_create(
                [ProvisioningPhase(run=run, phase=phase, position=n) for n, phase in enumerate(phases)]
            )
            if kind == RunKind.PROVISION:
                moved = Server.objects.filter(pk=server.pk, lifecycle__in=(*PROVISIONABLE, Lifecycle.PENDING_SETUP))
                if not moved.update(lifecycle=Lifecycle.PENDING_SETUP, lifecycle_reason=""):
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
    if confirm is not True:
        raise ValidationError({"confirm": [CONFIRM_MESSAGE]})
    if not isinstance(os_template, str) or not os_template.strip():
        raise ValidationError({"os": ["choose one of the OS templates the server offers"]})
    if server.lifecycle not in PROVISIONABLE:
        raise ConflictError(
            f"{server} is {server.get_lifecycle_display().lower()}: only a discovered, ready or failed server "
            "can be provisioned"
        )
    _conflict_if_active(server)
    if server.busy:
        raise ConflictError(f"{server} is busy at the provider ({server.active_task or 'a task'}): try again later")
    playbook = playbook_check(server=server, playbook=playbook or playbook_default(server))
    offered = [code for code, _ in server_os_templates(server)]
    if os_template not in offered:
        raise ValidationError({"os": [f"{server} does not offer {os_template!r}; it offers: {', '.join(offered)}"]})
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
    if server.lifecycle != Lifecycle.READY:
        raise ConflictError(f"{server} is {server.get_lifecycle_display().lower()}: playbooks run on ready servers")
    _conflict_if_active(server)
    playbook = playbook_check(server=server, playbook=playbook)
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
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = ProvisioningRun.objects.filter(pk=run.pk, status=run.status).update(
                status=RunStatus.QUEUED,
                token=F("token") + 1,
                error="",
                finished_at=None,
                cancel_requested_at=None,
                canceled_by=None,
                stalled_after=now + stall_bound(),
            )
            if not updated:
                raise ConflictError(f"run #{run.pk} changed state meanwhile: ask again")
            ProvisioningPhase.objects.filter(run=run, phase=run.phase).update(
                status=PhaseStatus.RETRYING, attempts=0, finished_at=None
            )
            if run.kind == RunKind.PROVISION:
                Server.objects.filter(pk=server.pk).update(lifecycle=Lifecycle.PENDING_SETUP, lifecycle_reason="")
            run.refresh_from_db()
    except IntegrityError:
        _conflict_if_active(server)
        raise
    run_dispatch(run=run)
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
    now = timezone.now()
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
        updated = ProvisioningRun.objects.filter(pk=run.pk, status__in=ACTIVE_RUN_STATUSES).update(
            status=RunStatus.CANCELED,
            token=F("token") + 1,
            cancel_requested_at=now,
            canceled_by=_user(user),
            finished_at=now,
            stalled_after=None,
            error=message,
        )
        if not updated:
            run.refresh_from_db()
            raise ConflictError(f"run #{run.pk} is {run.status}: only a queued or running run can be canceled")
        run.refresh_from_db()
        run_canceled(run=run, user=user)
    log.info("provisioning_run_canceled", run_id=run.pk, phase=run.phase, user_id=getattr(_user(user), "pk", None))
    return run

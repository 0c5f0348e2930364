"""provisioner_trigger and the lease reclaim: make sure asked-for work happens.

- A server pending setup (an operator asked for it) without an active run gets one. A discovered
  server never does: a reinstall destroys its data, so only an operator's request starts one.
- A run whose holder is gone is resumed from its recorded phase with a new token, so the old
  attempt's tasks, should they turn up or wake up, do nothing. A phase that completed is never
  repeated. A holder is gone when
  - its process on this machine no longer runs (seen at once: at every worker start), or
  - its lease ran out (its worker died, froze or lost the database): within
    PROVISIONING_LEASE_SECONDS plus one reclaim interval (10 s), or
  - as the last resort, the run's stall bound passed without the phase starting (a task the
    broker lost): the phase's hard time limit plus PROVISIONING_STALL_MARGIN_SECONDS.
Running any of these twice starts nothing twice: each resume is a conditional update only one
caller wins.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from apps.core.exceptions import PlatformError
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, FINISHED_RUN_STATUSES, Phase, RunKind, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import transitions
from apps.provisioning.services.ansible_processes import ansible_process_stop
from apps.provisioning.services.lease import holder_gone_here
from apps.provisioning.services.playbooks import playbook_check, playbook_default
from apps.provisioning.services.requests import run_create
from apps.provisioning.services.workdirs import leftover_dirs_remove
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from apps.servers.services import server_lifecycle_move

log = structlog.get_logger(__name__)


def _start_pending(server: Server) -> bool:
    try:
        if not server.os:
            raise PlatformError("no OS template known for the server: provision it again and choose one")
        playbook = playbook_check(server=server, playbook=playbook_default(server))
        run_create(server=server, kind=RunKind.PROVISION, os_template=server.os, playbook=playbook, user=None)
    except PlatformError as error:
        server_lifecycle_move(
            server_id=server.pk,
            to=Lifecycle.FAILED,
            reason=f"could not start provisioning: {error}",
            only_from=[Lifecycle.PENDING_SETUP],
        )
        log.warning("provisioning_pending_not_started", server_id=server.pk, error=str(error))
        return False
    return True


def _stalled() -> Q:
    return Q(stalled_after__lt=timezone.now())


def _lease_expired() -> Q:
    return ~Q(lease_holder="") & Q(lease_expires_at__lt=Now())


def run_resume(*, run: ProvisioningRun, condition: Q | None = None, why: str = "stalled") -> bool:
    """Resume a run from its recorded phase if `condition` (default: stalled) still holds on its
    row; False when it does not, or another caller got there first."""
    if run.phase == Phase.ANSIBLE:
        ansible_process_stop(run_id=run.pk)  # never two ansible-playbook processes on one host
    try:
        resumed = transitions.run_resume_claim(run=run, condition=condition if condition is not None else _stalled())
    except transitions.PhaseNotSent:
        return False  # the run stays as it was: the next look resumes it
    if resumed:
        log.warning("provisioning_run_resumed", run_id=run.pk, phase=run.phase, status=run.status, why=why)
    return resumed


def provisioning_leases_reclaim() -> int:
    """Resume the runs whose holder is known gone: its process here ended, or its lease ran out."""
    resumed = 0
    held = ProvisioningRun.objects.filter(status=RunStatus.RUNNING).exclude(lease_holder="")
    for run in held.filter(_lease_expired()):
        resumed += run_resume(run=run, condition=_lease_expired(), why="lease expired")
    for run in held.filter(lease_expires_at__gte=Now()):
        if holder_gone_here(run.lease_holder):
            resumed += run_resume(run=run, condition=Q(lease_holder=run.lease_holder), why="holder gone")
    return resumed


def provisioner_trigger() -> dict[str, int]:
    started = 0
    pending = Server.objects.filter(lifecycle=Lifecycle.PENDING_SETUP).exclude(
        provisioning_runs__status__in=ACTIVE_RUN_STATUSES
    )
    for server in pending.select_related("provider_account"):
        started += _start_pending(server)
    resumed = provisioning_leases_reclaim()
    for run in ProvisioningRun.objects.filter(_stalled(), status__in=ACTIVE_RUN_STATUSES):
        resumed += run_resume(run=run)
    active = set(ProvisioningRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).values_list("pk", flat=True))
    removed = leftover_dirs_remove(keep_run_ids=active)
    log.info("provisioner_trigger_ran", started=started, resumed=resumed, leftover_dirs_removed=removed)
    return {"started": started, "resumed": resumed}


def provisioning_runs_cleanup(*, older_than: timedelta | None = None) -> int:
    """Delete finished runs (phases and output with them) older than the retention period."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.PROVISIONING_RUN_RETENTION_DAYS))
    deleted, _ = ProvisioningRun.objects.filter(status__in=FINISHED_RUN_STATUSES, finished_at__lt=cutoff).delete()
    return deleted

"""provisioner_trigger: at worker start and every 5 minutes, make sure asked-for work happens.

- A server pending setup (an operator asked for it) without an active run gets one. A discovered
  server never does: a reinstall destroys its data, so only an operator's request starts one.
- An active run whose heartbeat stopped (`stalled_after` passed: its worker died, or the broker
  lost its message) is resumed from its recorded phase with a new token, so the old attempt's
  tasks, should they turn up, do nothing. A phase that completed is never repeated.
Running it twice starts nothing twice: each resume is a conditional update only one caller wins.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.exceptions import PlatformError
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, FINISHED_RUN_STATUSES, Phase, RunKind
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services.ansible_processes import ansible_process_stop
from apps.provisioning.services.engine import phase_queue, stall_bound
from apps.provisioning.services.playbooks import playbook_check, playbook_default
from apps.provisioning.services.requests import run_create
from apps.servers.choices import Lifecycle
from apps.servers.models import Server

log = structlog.get_logger(__name__)


def _start_pending(server: Server) -> bool:
    try:
        if not server.os:
            raise PlatformError("no OS template known for the server: provision it again and choose one")
        playbook = playbook_check(server=server, playbook=playbook_default(server))
        run_create(server=server, kind=RunKind.PROVISION, os_template=server.os, playbook=playbook, user=None)
    except PlatformError as error:
        Server.objects.filter(pk=server.pk, lifecycle=Lifecycle.PENDING_SETUP).update(
            lifecycle=Lifecycle.FAILED, lifecycle_reason=f"could not start provisioning: {error}"
        )
        log.warning("provisioning_pending_not_started", server_id=server.pk, error=str(error))
        return False
    return True


def run_resume(*, run: ProvisioningRun) -> bool:
    """Resume a stalled run from its recorded phase; False when another caller got there first."""
    now = timezone.now()
    if run.phase == Phase.ANSIBLE:
        ansible_process_stop(run_id=run.pk)  # never two ansible-playbook processes on one host
    with transaction.atomic():
        resumed = ProvisioningRun.objects.filter(
            pk=run.pk, token=run.token, status__in=ACTIVE_RUN_STATUSES, stalled_after__lt=now
        ).update(token=F("token") + 1, stalled_after=now + stall_bound())
        if resumed:
            phase_queue(run_id=run.pk, phase=run.phase, token=run.token + 1)
    if resumed:
        log.warning("provisioning_run_resumed", run_id=run.pk, phase=run.phase, status=run.status)
    return bool(resumed)


def provisioner_trigger() -> dict[str, int]:
    started = resumed = 0
    pending = Server.objects.filter(lifecycle=Lifecycle.PENDING_SETUP).exclude(
        provisioning_runs__status__in=ACTIVE_RUN_STATUSES
    )
    for server in pending.select_related("provider_account"):
        started += _start_pending(server)
    stalled = ProvisioningRun.objects.filter(status__in=ACTIVE_RUN_STATUSES, stalled_after__lt=timezone.now())
    for run in stalled:
        resumed += run_resume(run=run)
    log.info("provisioner_trigger_ran", started=started, resumed=resumed)
    return {"started": started, "resumed": resumed}


def provisioning_runs_cleanup(*, older_than: timedelta | None = None) -> int:
    """Delete finished runs (phases and output with them) older than the retention period."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.PROVISIONING_RUN_RETENTION_DAYS))
    deleted, _ = ProvisioningRun.objects.filter(status__in=FINISHED_RUN_STATUSES, finished_at__lt=cutoff).delete()
    return deleted

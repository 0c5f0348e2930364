"""The jobs' safety net (every 10 seconds, and at worker start): no job left running or queued forever.

- A running job whose holder is gone — its process on this machine ended (seen at once), or its
  lease ran out (its worker died or froze: within PROVISIONING_LEASE_SECONDS plus one reclaim
  interval) — is failed with the reason, and its orphaned ansible-playbook stopped if it runs
  here. It is not run again by itself: a playbook half run is the operator's to relaunch
  ("relaunch failed hosts" runs it on the hosts that did not finish).
- A queued job nobody took within JOBS_QUEUED_STALL_SECONDS (a message the broker lost) is sent
  again under a new token, so the lost message, should it turn up, does nothing.
Each is a conditional update only one caller wins.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import structlog
from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from apps.jobs.choices import ACTIVE_JOB_STATUSES, FINISHED_JOB_STATUSES, JobStatus
from apps.jobs.models import Job
from apps.jobs.services import transitions
from apps.jobs.services.outcomes import job_ended
from apps.jobs.services.processes import job_process_stop
from apps.jobs.services.workdirs import leftover_job_dirs_remove
from apps.provisioning.services.lease import holder_gone_here

log = structlog.get_logger(__name__)

LOST = "the worker running the job stopped ({why}) while the playbook ran: relaunch the job to run it again"


def _fail_lost(job: Job, *, condition: Q, why: str) -> bool:
    job_process_stop(job_id=job.pk)
    if not transitions.job_fail_claim(job_id=job.pk, condition=condition, message=LOST.format(why=why)):
        return False
    log.warning("job_lost", job_id=job.pk, why=why)
    job_ended(job.pk)
    return True


def jobs_reclaim() -> dict[str, int]:
    failed = resent = 0
    running = Job.objects.filter(status=JobStatus.RUNNING).exclude(lease_holder="")
    expired = ~Q(lease_holder="") & Q(lease_expires_at__lt=Now())
    for job in running.filter(expired):
        failed += _fail_lost(job, condition=expired, why="its lease ran out")
    for job in running.filter(lease_expires_at__gte=Now()):
        if holder_gone_here(job.lease_holder):
            failed += _fail_lost(job, condition=Q(lease_holder=job.lease_holder), why="its process ended")
    for job in Job.objects.filter(status=JobStatus.QUEUED, lease_holder="", stalled_after__lt=timezone.now()):
        with contextlib.suppress(transitions.JobNotSent):  # the job was failed there: nothing else to do
            resent += transitions.job_resend_claim(job=job) is not None
    active = set(Job.objects.filter(status__in=ACTIVE_JOB_STATUSES).values_list("pk", flat=True))
    removed = leftover_job_dirs_remove(keep_job_ids=active)
    if failed or resent or removed:
        log.info("jobs_reclaimed", failed=failed, resent=resent, leftover_dirs_removed=removed)
    return {"failed": failed, "resent": resent}


def jobs_cleanup(*, older_than: timedelta | None = None) -> int:
    """Delete finished jobs (hosts and output with them) older than JOBS_RETENTION_DAYS."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.JOBS_RETENTION_DAYS))
    deleted, _ = Job.objects.filter(status__in=FINISHED_JOB_STATUSES, finished_at__lt=cutoff).delete()
    return deleted

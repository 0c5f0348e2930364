"""Every guarded change of a job's state, in one place (as apps/provisioning/services/transitions.py
is for runs).

A job belongs to one attempt at a time: the one whose `token` it carries and, while its playbook
runs, whose process holds the job's lease. Each change is made only while that is still true, in
the same transaction as the check, so an attempt that was canceled or taken over records nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from apps.core.exceptions import ServiceUnavailableError
from apps.core.queueing import send_on_commit
from apps.jobs import task_names
from apps.jobs.choices import ACTIVE_JOB_STATUSES, JobStatus
from apps.jobs.models import Job
from apps.provisioning.limits import lease_length
from apps.provisioning.services.phase_results import Superseded

log = structlog.get_logger(__name__)

RELEASED = {"lease_holder": "", "lease_expires_at": None}


class JobNotSent(ServiceUnavailableError):
    """The broker refused the job's task: a job that was only queued has been failed."""


def job_send(*, job_id: int, token: int) -> None:
    """Queue the job's task for the attempt `token` once the transaction commits (the one way it
    is sent). Raises JobNotSent from the commit when the broker refuses it."""

    def refused(error: Exception) -> Exception:
        failed = job_not_queued(job_id=job_id, token=token, message="could not queue the job: broker unavailable")
        log.error("job_not_sent", job_id=job_id, job_failed=failed, error=type(error).__name__)
        return JobNotSent("could not queue the job: the task broker is unavailable")

    send_on_commit(task_names.RUN, kwargs={"job_id": job_id, "token": token}, on_refused=refused)


def queued_stall_bound() -> timedelta:
    return timedelta(seconds=settings.JOBS_QUEUED_STALL_SECONDS)


def _lease_until() -> ExpressionWrapper:
    return ExpressionWrapper(Now() + lease_length(), output_field=DateTimeField())


def _owned(job_id: int, token: int) -> QuerySet[Job]:
    return Job.objects.filter(pk=job_id, token=token, status=JobStatus.RUNNING)


@contextmanager
def owned(job_id: int, token: int) -> Iterator[None]:
    """A transaction in which the job is locked and still this attempt's; Superseded otherwise."""
    with transaction.atomic():
        if not list(_owned(job_id, token).select_for_update().values_list("pk", flat=True)):
            raise Superseded
        yield


def job_claim(*, job: Job, token: int, holder: str, gone: str = "") -> bool:
    """Take a queued job for this attempt: running, held by `holder` under a fresh lease.

    Refused when the token moved on, the job ended, or another live process holds it (a duplicate
    delivery). A job that was already running when its holder died is not taken again: the reclaim
    fails it (a playbook half run is not run again by itself; an operator relaunches it).
    """
    free = Q(lease_holder="") | Q(lease_holder=holder)
    if gone:
        free |= Q(lease_holder=gone)
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job.pk, token=token, status=JobStatus.QUEUED)
        .filter(free)
        .update(
            status=JobStatus.RUNNING,
            started_at=Coalesce(F("started_at"), now),
            heartbeat_at=now,
            lease_holder=holder,
            lease_expires_at=_lease_until(),
            stalled_after=None,
        )
    )


def lease_renew(*, job_id: int, token: int, holder: str) -> bool:
    """Extend the holder's lease; False once the job is no longer this attempt's (canceled)."""
    return bool(
        _owned(job_id, token)
        .filter(lease_holder=holder)
        .update(lease_expires_at=_lease_until(), heartbeat_at=timezone.now())
    )


def job_end(*, job_id: int, status: JobStatus, error: str = "", **fields: Any) -> None:
    """Inside `owned`: record the job's end."""
    Job.objects.filter(pk=job_id).update(status=status, error=error, finished_at=timezone.now(), **RELEASED, **fields)


def job_fail_claim(*, job_id: int, condition: Q, message: str) -> bool:
    """Fail an active job if `condition` still holds on its row (one caller wins)."""
    return bool(
        Job.objects.filter(condition, pk=job_id, status__in=ACTIVE_JOB_STATUSES).update(
            status=JobStatus.FAILED, token=F("token") + 1, error=message, finished_at=timezone.now(), **RELEASED
        )
    )


def job_resend_claim(*, job: Job) -> int | None:
    """Send a queued job nobody took again, under a new token; the new token, or None when
    another caller got there first (or the job moved on)."""
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, token=job.token, status=JobStatus.QUEUED, lease_holder="").update(
            token=F("token") + 1, stalled_after=timezone.now() + queued_stall_bound()
        )
        if not updated:
            return None
        token = job.token + 1
        job_send(job_id=job.pk, token=token)
    return token


def job_cancel_claim(*, job: Job, user, message: str) -> bool:
    return bool(
        Job.objects.filter(pk=job.pk, status__in=ACTIVE_JOB_STATUSES).update(
            status=JobStatus.CANCELED,
            token=F("token") + 1,
            cancel_requested_at=timezone.now(),
            canceled_by=user,
            error=message,
            finished_at=timezone.now(),
            **RELEASED,
        )
    )


def job_not_queued(*, job_id: int, token: int, message: str) -> bool:
    """The broker refused the job's first task: fail it if it is still queued with that token."""
    return bool(
        Job.objects.filter(pk=job_id, token=token, status=JobStatus.QUEUED).update(
            status=JobStatus.FAILED, error=message, finished_at=timezone.now()
        )
    )

"""Writes of the core domain: heartbeat, periodic task registration, task results, first admin."""

from __future__ import annotations

import json
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import GroupResult, TaskResult

from apps.core.exceptions import ConfigurationError, NotFoundError
from apps.core.models import Heartbeat
from apps.core.schedules import PeriodicTaskSpec, declared_periodic_tasks

log = structlog.get_logger(__name__)


# --- Heartbeat ----------------------------------------------------------------------------
def heartbeat_record_sent(*, at: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(id=Heartbeat.SINGLETON_ID, defaults={"beat_sent_at": at or timezone.now()})


def heartbeat_record_ran(*, at: datetime | None = None, hostname: str | None = None) -> None:
    Heartbeat.objects.update_or_create(
        id=Heartbeat.SINGLETON_ID,
        defaults={"worker_ran_at": at or timezone.now(), "worker_hostname": hostname or socket.gethostname()},
    )


# --- Periodic tasks -----------------------------------------------------------------------
@dataclass(frozen=True)
class RegistrationResult:
    created: list[str]
    unchanged: list[str]


def _interval_for(every: timedelta) -> IntervalSchedule:
    seconds = int(every.total_seconds())
    schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    return schedule


@transaction.atomic
def periodic_tasks_register(*, specs: tuple[PeriodicTaskSpec, ...] | None = None) -> RegistrationResult:
    """Create the declared periodic tasks that are missing; never touch an existing row.

    Operators own interval, enabled flag and the rest once a row exists, so running this on
    every start (as `make run` and the compose entrypoint do) keeps their changes.
    """
    created, unchanged = [], []
    for spec in specs if specs is not None else declared_periodic_tasks():
        if PeriodicTask.objects.filter(name=spec.name).exists():
            unchanged.append(spec.name)
            continue
        # save() (not bulk_create) so django-celery-beat's signal tells beat about the change.
        PeriodicTask.objects.create(
            name=spec.name,
            task=spec.task,
            interval=_interval_for(spec.every),
            expire_seconds=int(spec.expires.total_seconds()),
            description=spec.description,
            enabled=True,
        )
        created.append(spec.name)
    log.info("periodic_tasks_registered", created=created, unchanged=len(unchanged))
    return RegistrationResult(created=created, unchanged=unchanged)


def periodic_task_run_now(*, periodic_task_id: int) -> str:
    """Queue one run of a periodic task now, as beat would send it; returns the Celery task id."""
    periodic_task = PeriodicTask.objects.filter(id=periodic_task_id).first()
    if periodic_task is None:
        raise NotFoundError(f"periodic task {periodic_task_id} does not exist")
    result = current_app.send_task(
        periodic_task.task,
        args=json.loads(periodic_task.args or "[]"),
        kwargs=json.loads(periodic_task.kwargs or "{}"),
        queue=periodic_task.queue or None,
        headers={"periodic_task_name": periodic_task.name},
    )
    log.info("periodic_task_run_now", periodic_task=periodic_task.name, celery_task_id=result.id)
    return result.id


# --- Task results -------------------------------------------------------------------------
def task_results_cleanup(*, older_than: timedelta | None = None, batch_size: int = 1000) -> int:
    """Delete finished task results older than the retention; returns how many were deleted.

    Deletes in batches so a large backlog never holds one long transaction.
    """
    retention = older_than or timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    cutoff = timezone.now() - retention
    deleted = 0
    while True:
        ids = list(TaskResult.objects.filter(date_done__lt=cutoff).values_list("id", flat=True)[:batch_size])
        if not ids:
            break
        deleted += TaskResult.objects.filter(id__in=ids).delete()[0]
    GroupResult.objects.filter(date_done__lt=cutoff).delete()
    log.info("task_results_cleaned", deleted=deleted, cutoff=cutoff.isoformat())
    return deleted


# --- First admin user ---------------------------------------------------------------------
@dataclass(frozen=True)
class BootstrapResult:
    created: bool
    username: str
    generated_password: str | None  # only in development, to be shown once


def admin_user_bootstrap(*, environment: str | None = None) -> BootstrapResult:
    """Create the first superuser when there is none.

    Development generates a password and hands it back to be printed once. Production takes it
    from BOOTSTRAP_ADMIN_PASSWORD and never prints it (logs are kept).
    """
    environment = environment or settings.ENVIRONMENT
    user_model = get_user_model()
    username = settings.BOOTSTRAP_ADMIN_USERNAME
    if user_model.objects.filter(is_superuser=True).exists():
        return BootstrapResult(created=False, username=username, generated_password=None)
    generated = None
    if environment == "production":
        password = settings.BOOTSTRAP_ADMIN_PASSWORD
        if len(password) < 12:
            raise ConfigurationError(
                "No admin user exists: set BOOTSTRAP_ADMIN_PASSWORD (12 characters or more) to create the first one"
            )
    else:
        password = settings.BOOTSTRAP_ADMIN_PASSWORD or secrets.token_urlsafe(18)
        generated = None if settings.BOOTSTRAP_ADMIN_PASSWORD else password
    user_model.objects.create_superuser(username=username, email=settings.BOOTSTRAP_ADMIN_EMAIL, password=password)
    log.info("admin_user_bootstrapped", username=username)
    return BootstrapResult(created=True, username=username, generated_password=generated)

"""Writes of the core domain: heartbeat, periodic task registration, task results, first admin."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_results.models import GroupResult, TaskResult

from apps.core.batching import delete_in_batches
from apps.core.exceptions import ConfigurationError
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
    # Crontabs moved to the current TIME_ZONE (TIME_ZONE changed since they were created).
    rezoned: list[str] = field(default_factory=list)


def _interval_for(every: timedelta) -> IntervalSchedule:
    seconds = int(every.total_seconds())
    schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    return schedule


def _crontab_in_time_zone(**fields: str) -> CrontabSchedule:
    schedule, _ = CrontabSchedule.objects.get_or_create(**fields, timezone=settings.TIME_ZONE)
    return schedule


def _schedule_for(spec: PeriodicTaskSpec) -> dict[str, IntervalSchedule | CrontabSchedule]:
    if spec.daily_at is None:
        return {"interval": _interval_for(spec.every)}
    daily = _crontab_in_time_zone(
        minute=str(spec.daily_at.minute),
        hour=str(spec.daily_at.hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
    )
    return {"crontab": daily}


def _rezone(periodic_task: PeriodicTask) -> bool:
    """Move a crontab row to settings.TIME_ZONE, keeping its times; True if it moved.

    Beat reads a crontab in its own zone and the admin shows that zone, so the platform's
    crontabs follow TIME_ZONE: "03:30" keeps meaning 03:30 where the operators are. The times
    (an operator may have changed them) stay as they are.
    """
    crontab = periodic_task.crontab
    if crontab is None or str(crontab.timezone) == settings.TIME_ZONE:
        return False
    periodic_task.crontab = _crontab_in_time_zone(
        minute=crontab.minute,
        hour=crontab.hour,
        day_of_week=crontab.day_of_week,
        day_of_month=crontab.day_of_month,
        month_of_year=crontab.month_of_year,
    )
    # django-celery-beat's advice when the zone changes: forget the last run, or the next one
    # is computed from a time read in the old zone. save() (not update()) tells beat.
    periodic_task.last_run_at = None
    periodic_task.save()
    return True


@transaction.atomic
def periodic_tasks_register(*, specs: tuple[PeriodicTaskSpec, ...] | None = None) -> RegistrationResult:
    """Create the declared periodic tasks that are missing; leave existing rows as they are,
    except that a crontab is moved to TIME_ZONE when that changed.

    Operators own schedule, enabled flag and the rest once a row exists, so running this on
    every start (as `make run` and the compose entrypoint do) keeps their changes.
    """
    created, unchanged, rezoned = [], [], []
    for spec in specs if specs is not None else declared_periodic_tasks():
        existing = PeriodicTask.objects.select_related("crontab").filter(name=spec.name).first()
        if existing is not None:
            (rezoned if _rezone(existing) else unchanged).append(spec.name)
            continue
        # save() (not bulk_create) so django-celery-beat's signal tells beat about the change.
        PeriodicTask.objects.create(
            name=spec.name,
            task=spec.task,
            **_schedule_for(spec),
            expire_seconds=int(spec.expires.total_seconds()),
            description=spec.description,
            enabled=True,
        )
        created.append(spec.name)
    log.info("periodic_tasks_registered", created=created, unchanged=len(unchanged), rezoned=rezoned)
    return RegistrationResult(created=created, unchanged=unchanged, rezoned=rezoned)


# --- Task results -------------------------------------------------------------------------
def task_results_cleanup(*, older_than: timedelta | None = None, batch_size: int = 1000) -> int:
    """Delete finished task results older than the retention; returns how many were deleted.

    Deletes in batches so a large backlog never holds one long transaction.
    """
    retention = older_than or timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    cutoff = timezone.now() - retention
    deleted = delete_in_batches(TaskResult.objects.filter(date_done__lt=cutoff), batch_size=batch_size)
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

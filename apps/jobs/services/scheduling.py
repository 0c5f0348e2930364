"""Operators' job schedules: django-celery-beat rows (an interval, or a crontab in a time zone)
that beat sends under the beat lease, so each due time sends one launch however many beats run.

The launch a schedule sends (`scheduled_launch`) launches at most one job:
- a redelivered launch message finds the job it made (the job's `dispatch_key` is the message's
  task id) and makes no second;
- while the schedule's previous job is still queued or running, the launch is skipped and the
  reason recorded (no pile-up);
- a launch sent later than JOBS_SCHEDULE_LATE_SECONDS after it was due — beat catching up after
  the platform was down — is skipped as missed: runs missed while the platform was down are not
  made up.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import datetime
from typing import Any

import structlog
from celery.schedules import crontab as celery_crontab
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from apps.audit.choices import ActorKind, AuditAction, AuditOutcome
from apps.audit.services import audit_record
from apps.core.exceptions import PlatformError, ValidationError
from apps.jobs import task_names
from apps.jobs.choices import ACTIVE_JOB_STATUSES, LaunchedBy
from apps.jobs.models import Job, JobSchedule, JobTemplate
from apps.jobs.services.launch import job_launch
from apps.jobs.services.variables import vars_object_check
from apps.scheduling.selectors import periodic_task_due_after, periodic_task_next_run_at

log = structlog.get_logger(__name__)

MIN_INTERVAL_SECONDS = 10
MAX_INTERVAL_SECONDS = 366 * 24 * 3600
CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def _crontab_parse(text: Any, zone: str) -> dict[str, str]:
    if not isinstance(text, str) or len(text.split()) != 5:
        raise ValidationError(
            {"crontab": ['five fields: "minute hour day-of-month month day-of-week", e.g. "30 4 * * 1-5"']}
        )
    fields = dict(zip(CRONTAB_FIELDS, text.split(), strict=True))
    try:
        celery_crontab(**fields)
    except (ValueError, TypeError) as error:
        raise ValidationError({"crontab": [f"not a valid crontab: {error}"]}) from None
    return fields


def _zone_check(zone: Any) -> str:
    try:
        zoneinfo.ZoneInfo(str(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            {"timezone": [f"unknown time zone {zone!r} (an IANA name such as Europe/Vilnius)"]}
        ) from None
    return str(zone)


def _when(*, interval_seconds: Any, crontab: Any, zone: Any) -> dict[str, Any]:
    """The periodic task's schedule fields for an interval or a crontab (exactly one)."""
    if (interval_seconds is None) == (crontab in (None, "")):
        raise ValidationError({"interval_seconds": ["give either interval_seconds or crontab"]})
    if interval_seconds is not None:
        if (
            not isinstance(interval_seconds, int)
            or not MIN_INTERVAL_SECONDS <= interval_seconds <= MAX_INTERVAL_SECONDS
        ):
            raise ValidationError(
                {"interval_seconds": [f"whole seconds from {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS}"]}
            )
        interval, _ = IntervalSchedule.objects.get_or_create(every=interval_seconds, period=IntervalSchedule.SECONDS)
        return {"interval": interval, "crontab": None}
    zone = _zone_check(zone or settings.TIME_ZONE)
    row, _ = CrontabSchedule.objects.get_or_create(**_crontab_parse(crontab, zone), timezone=zone)
    return {"interval": None, "crontab": row}


def schedule_create(
    *,
    template: JobTemplate,
    name: str,
    interval_seconds: int | None = None,
    crontab: str | None = None,
    timezone_name: str | None = None,
    enabled: bool = True,
    extra_vars: Any = None,
    user=None,
) -> JobSchedule:
    extra_vars = vars_object_check(extra_vars)
    with transaction.atomic():
        when = _when(interval_seconds=interval_seconds, crontab=crontab, zone=timezone_name)
        if PeriodicTask.objects.filter(name=name).exists():
            raise ValidationError({"name": [f"a schedule or periodic task named {name!r} exists"]})
        periodic_task = PeriodicTask.objects.create(
            name=name,
            task=task_names.LAUNCH_SCHEDULED,
            enabled=enabled,
            description=f"Launches a job of the template {template.name!r}.",
            **when,
        )
        schedule = JobSchedule.objects.create(
            template=template, periodic_task=periodic_task, extra_vars=extra_vars, created_by=_user(user)
        )
        # The schedule's id is only known now; save() (not update()) so beat hears of the change.
        periodic_task.kwargs = json.dumps({"schedule_id": schedule.pk})
        periodic_task.save()
    return schedule


def schedule_update(*, schedule: JobSchedule, **changes: Any) -> JobSchedule:
    """Change a schedule: name, enabled, extra_vars, and its timing (interval_seconds, or crontab
    with timezone_name)."""
    periodic_task = schedule.periodic_task
    with transaction.atomic():
        if "name" in changes and changes["name"] != periodic_task.name:
            if PeriodicTask.objects.filter(name=changes["name"]).exists():
                raise ValidationError({"name": [f"a schedule or periodic task named {changes['name']!r} exists"]})
            periodic_task.name = changes["name"]
        if "enabled" in changes:
            periodic_task.enabled = bool(changes["enabled"])
        if {"interval_seconds", "crontab", "timezone_name"} & set(changes):
            current = _current_when(periodic_task)
            merged = {**current, **{k: v for k, v in changes.items() if k in current}}
            if "interval_seconds" in changes and changes["interval_seconds"] is not None:
                merged["crontab"] = None
            if changes.get("crontab"):
                merged["interval_seconds"] = None
            when = _when(
                interval_seconds=merged["interval_seconds"], crontab=merged["crontab"], zone=merged["timezone_name"]
            )
            periodic_task.interval, periodic_task.crontab = when["interval"], when["crontab"]
        if "extra_vars" in changes:
            schedule.extra_vars = vars_object_check(changes["extra_vars"])
            schedule.save(update_fields=["extra_vars"])
        periodic_task.save()
    return schedule


def _current_when(periodic_task: PeriodicTask) -> dict[str, Any]:
    if periodic_task.crontab is not None:
        row = periodic_task.crontab
        text = " ".join(str(getattr(row, name)) for name in CRONTAB_FIELDS)
        return {"interval_seconds": None, "crontab": text, "timezone_name": str(row.timezone)}
    every = periodic_task.interval.every if periodic_task.interval else None
    return {"interval_seconds": every, "crontab": None, "timezone_name": None}


def schedule_timing(schedule: JobSchedule) -> dict[str, Any]:
    """interval_seconds, crontab and timezone_name as the API shows them."""
    return _current_when(schedule.periodic_task)


def schedule_delete(*, schedule: JobSchedule) -> None:
    with transaction.atomic():
        periodic_task = schedule.periodic_task
        schedule.delete()
        periodic_task.delete()


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def schedule_next_run_at(schedule: JobSchedule) -> datetime | None:
    """When beat sends the schedule's next launch (None while it is disabled)."""
    return periodic_task_next_run_at(schedule.periodic_task)


def _skip(schedule: JobSchedule, reason: str, *, sent_at: datetime | None) -> str:
    now = timezone.now()
    JobSchedule.objects.filter(pk=schedule.pk).update(
        last_skipped_at=now, last_skip_reason=reason[:2000], last_fired_at=sent_at or now
    )
    audit_record(
        action=AuditAction.JOB_SCHEDULE_SKIP,
        actor_kind=ActorKind.SCHEDULE,
        actor_name=schedule.periodic_task.name,
        target=schedule.template,
        outcome=AuditOutcome.FAILURE,
        detail={"schedule_id": schedule.pk, "reason": reason[:500]},
    )
    log.info("job_schedule_skipped", schedule_id=schedule.pk, reason=reason)
    return "skipped"


def scheduled_launch(*, schedule_id: int, dispatch_key: str) -> str:
    """The launch beat sent for a schedule (see the module's docstring); returns what happened."""
    schedule = (
        JobSchedule.objects.select_related("template", "periodic_task__interval", "periodic_task__crontab", "last_job")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        return "missing"
    if Job.objects.filter(dispatch_key=dispatch_key).exists():
        return "duplicate"
    periodic_task = schedule.periodic_task
    if not periodic_task.enabled:
        return "disabled"
    sent_at = periodic_task.last_run_at or timezone.now()
    previous = schedule.last_fired_at or periodic_task.date_changed
    if previous is not None:
        due = periodic_task_due_after(periodic_task, previous)
        late = (sent_at - due).total_seconds()
        if late > settings.JOBS_SCHEDULE_LATE_SECONDS:
            return _skip(
                schedule,
                f"missed: due at {due:%Y-%m-%d %H:%M:%S %Z} while the platform was down; missed runs are not made up",
                sent_at=sent_at,
            )
    last = schedule.last_job
    if last is not None and last.status in ACTIVE_JOB_STATUSES:
        return _skip(schedule, f"the previous job #{last.pk} is still {last.status}", sent_at=sent_at)
    try:
        job = job_launch(
            template=schedule.template,
            extra_vars=schedule.extra_vars,
            launched_by=LaunchedBy.SCHEDULE,
            schedule=schedule,
            dispatch_key=dispatch_key,
        )
    except IntegrityError:
        return "duplicate"  # a redelivered message launching at the same moment
    except PlatformError as error:
        return _skip(schedule, f"not launched: {error}", sent_at=sent_at)
    JobSchedule.objects.filter(pk=schedule.pk).update(last_job=job, last_fired_at=sent_at, last_skip_reason="")
    return "launched"

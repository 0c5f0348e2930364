"""The jobs domain's writes: templates checked, jobs launched, run, canceled and relaunched, schedules."""

from apps.jobs.services.launch import job_cancel, job_launch, job_relaunch
from apps.jobs.services.reclaim import jobs_cleanup, jobs_reclaim
from apps.jobs.services.runner import job_execute
from apps.jobs.services.scheduling import (
    schedule_create,
    schedule_delete,
    schedule_next_run_at,
    schedule_timing,
    schedule_update,
    scheduled_launch,
)
from apps.jobs.services.templates import template_check

__all__ = [
    "job_cancel",
    "job_execute",
    "job_launch",
    "job_relaunch",
    "jobs_cleanup",
    "jobs_reclaim",
    "schedule_create",
    "schedule_delete",
    "schedule_next_run_at",
    "schedule_timing",
    "schedule_update",
    "scheduled_launch",
    "template_check",
]

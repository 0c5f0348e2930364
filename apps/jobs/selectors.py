"""Reads of the jobs domain for the API and the admin."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from apps.jobs.models import Job, JobEvent, JobHost, JobSchedule, JobTemplate


def job_template_list() -> QuerySet[JobTemplate]:
    return JobTemplate.objects.select_related("project", "created_by").order_by("name")


def job_list() -> QuerySet[Job]:
    return (
        Job.objects.select_related("template", "project", "launched_by_user", "schedule__periodic_task")
        .prefetch_related(Prefetch("hosts", queryset=JobHost.objects.order_by("alias")))
        .order_by("-created_at", "-id")
    )


def job_events_after(*, job: Job, after: int, limit: int) -> QuerySet[JobEvent]:
    return JobEvent.objects.filter(job=job, seq__gt=after).order_by("seq")[:limit]


def job_schedule_list() -> QuerySet[JobSchedule]:
    return JobSchedule.objects.select_related(
        "template", "periodic_task__interval", "periodic_task__crontab", "last_job"
    ).order_by("template__name", "id")

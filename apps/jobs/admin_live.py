"""A job's page as it follows the job: the status the page polls (status, elapsed time, the host
table as an HTML fragment) and the whole output as a download.

The output lines themselves come from the API's events cursor (/api/jobs/<id>/events/, which
takes the admin's session); static/console/live_output.js does the polling.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from apps.core.admin_live import LiveOutputViews
from apps.core.fields import without_secrets
from apps.core.live_output import (
    POLL_INTERVAL_MS,
    duration_text,
    elapsed_seconds,
    plain_text,
)
from apps.jobs.admin_display import HOST_COUNT_COLUMNS
from apps.jobs.models import Job

FRAGMENTS = {
    "job-status": "admin/jobs/job/live_status.html",
    "job-hosts": "admin/jobs/job/live_hosts.html",
}


def job_hosts(job: Job) -> list:
    return list(without_secrets(job.hosts.select_related("server")).order_by("alias"))


def job_log_lines(job: Job) -> Iterator[str]:
    """Every line of the job's output in order."""
    for stdout in job.events.exclude(stdout="").order_by("seq").values_list("stdout", flat=True).iterator(500):
        yield plain_text(stdout)


class JobLiveOutputViews(LiveOutputViews):
    """Mixed into the job admin: the status and log pages, and what the job page needs for them."""

    live_fragments = FRAGMENTS

    def live_fragments_context(self, job: Job, hosts: list | None = None) -> dict:
        elapsed = elapsed_seconds(job.started_at, job.finished_at)
        return {
            "job": job,
            "hosts": job_hosts(job) if hosts is None else hosts,
            "host_count_columns": HOST_COUNT_COLUMNS,
            "elapsed": duration_text(elapsed),
            "elapsed_seconds": elapsed,
        }

    def live_page_context(self, job: Job, *, hosts: list, after: int) -> dict:
        """What the job page adds: the fragments' context and the addresses the script polls."""
        return {
            **self.live_fragments_context(job, hosts),
            "live_status_url": reverse("admin:jobs_job_live", args=[job.pk]),
            "live_events_url": reverse("job-events", args=[job.pk]),
            "live_log_url": reverse("admin:jobs_job_log", args=[job.pk]),
            "live_after": after,
            "live_poll_ms": POLL_INTERVAL_MS,
        }

    def live_log_name(self, job: Job) -> str:
        return f"job-{job.pk}.log"

    def live_log_lines(self, job: Job) -> Iterator[str]:
        return job_log_lines(job)

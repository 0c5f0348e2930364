"""Helpers of the jobs tests: a worker for jobs, waiting for a job to end, its output."""

from __future__ import annotations

from apps.jobs.choices import FINISHED_JOB_STATUSES
from apps.jobs.models import Job
from tests.conftest import start_worker, wait_for

WORKER_QUEUES = "provisioning,default"


def start_jobs_worker(start_celery, env: dict[str, str], *, concurrency: int = 2, purge: bool = True):
    return start_worker(start_celery, queues=WORKER_QUEUES, concurrency=concurrency, purge=purge, **env)


def wait_job_finished(job_id: int, worker, *, timeout: float = 120) -> Job:
    return wait_for(
        lambda: Job.objects.filter(pk=job_id, status__in=FINISHED_JOB_STATUSES).first(),
        timeout=timeout,
        what=lambda: (
            f"job {job_id} to finish ({Job.objects.get(pk=job_id).status}); worker said:\n{worker.output()[-6000:]}"
        ),
    )


def job_output(job: Job) -> str:
    output = "".join(event.stdout + "\n" for event in job.events.order_by("seq"))
    hosts = [(h.alias, h.status, h.reason) for h in job.hosts.all()]
    return f"{job.error}\nhosts: {hosts}\noutput:\n{output[-4000:]}"

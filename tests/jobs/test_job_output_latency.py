"""A job's output reaches the database within a second of Ansible printing it, also when a task
then stays quiet for a long time: the console's poll can show it while the task still runs."""

from __future__ import annotations

import pytest

from apps.jobs.choices import JobStatus
from apps.jobs.models import Job, JobEvent
from tests.jobs.helpers import job_output, start_jobs_worker, wait_job_finished
from tests.provisioning.output_watch import slowest, watch_events
from tests.roles import api_client_with_role

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUIET_SECONDS = 6


def test_output_before_a_long_quiet_task_is_stored_within_a_second(fleet, start_celery, fast_provisioning):
    worker = start_jobs_worker(start_celery, fast_provisioning)
    api = api_client_with_role("operator", "ops")
    template = api.post(
        "/api/job-templates/",
        {
            "name": "quiet",
            "playbook": "slow_job.yml",
            "target": {"labels": {"role": "web"}},
            "extra_vars": {"wait_seconds": QUIET_SECONDS},
        },
        format="json",
    )
    assert template.status_code == 201, template.data
    job_id = api.post(f"/api/job-templates/{template.data['id']}/launch/", {}, format="json").data["job_id"]

    seen = watch_events(
        JobEvent, owner={"job_id": job_id}, until=lambda: not Job.objects.get(pk=job_id).is_active, timeout=120
    )

    job = wait_job_finished(job_id, worker)
    assert job.status == JobStatus.SUCCEEDED, job_output(job)
    # "slow job started" and the header of the quiet task: readable while it waits.
    started = next(e for e in seen if e.event == "runner_on_ok" and e.task == "Started")
    wait_header = next(e for e in seen if e.event == "playbook_on_task_start" and e.task == "Wait")
    assert max(started.delay, wait_header.delay) <= 1.0, seen
    assert len(seen) == job.events.count()
    assert slowest(seen).delay <= 1.0, seen

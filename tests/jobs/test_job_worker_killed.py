"""A worker killed with SIGKILL in the middle of a job: the job is failed with the reason (never
left running, never run a second time by itself), its orphaned ansible-playbook is stopped, what
it left on disk removed; relaunching the hosts that did not finish runs them."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from apps.jobs.choices import HostStatus, JobStatus
from apps.jobs.models import Job, JobTemplate
from apps.jobs.services import job_launch, job_relaunch, jobs_reclaim
from tests.conftest import wait_for
from tests.fakes.processes import children_of, group_alive
from tests.jobs.helpers import job_output, start_jobs_worker, wait_job_finished

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_job_whose_worker_dies_is_failed_and_its_playbook_stopped(fleet, start_celery, fast_provisioning, settings):
    template = JobTemplate.objects.create(
        name="slow", playbook="slow_job.yml", target={"labels": {"role": "web"}}, extra_vars={"wait_seconds": 90}
    )
    first = start_jobs_worker(start_celery, fast_provisioning)
    job = job_launch(template=template)
    wait_for(
        lambda: Job.objects.get(pk=job.pk).events.filter(stdout__contains="slow job started").exists(),
        timeout=60,
        what=lambda: f"the job to start:\n{first.output()[-3000:]}",
    )
    job.refresh_from_db()
    orphan_group = job.ansible_process["pgid"]

    for pid in [first.process.pid, *children_of(first.process.pid)]:
        os.kill(pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    assert group_alive(orphan_group)
    assert list((Path(settings.VAR_DIR) / "jobs").glob(f"job-{job.pk}-*"))

    # The next worker's start looks at once (its holder's process is gone); beat's jobs_reclaim,
    # every 10 s, fails it otherwise once its lease ran out: called here as beat would.
    second = start_jobs_worker(start_celery, fast_provisioning)
    wait_for(
        lambda: jobs_reclaim() is not None and Job.objects.filter(pk=job.pk, status=JobStatus.FAILED).exists(),
        timeout=90,
        interval=2,
        what=lambda: f"the lost job to be failed; worker said:\n{second.output()[-3000:]}",
    )
    job = Job.objects.get(pk=job.pk)

    assert job.status == JobStatus.FAILED
    assert "the worker running the job stopped" in job.error
    assert "relaunch" in job.error
    assert not group_alive(orphan_group)
    assert not list((Path(settings.VAR_DIR) / "jobs").glob(f"job-{job.pk}-*"))
    assert {host.status for host in job.hosts.all()} == {HostStatus.PENDING}

    Job.objects.filter(pk=job.pk)  # the failed job stays as it was; a relaunch is a new job
    template.extra_vars = {"wait_seconds": 1}
    template.save()
    again = job_relaunch(job=job, hosts="failed")
    again = wait_job_finished(again.pk, second, timeout=120)
    assert again.status == JobStatus.SUCCEEDED, job_output(again)
    assert Job.objects.get(pk=job.pk).token == job.token  # the lost job was not run again

"""A job whose source is a GitHub project (the sandbox GitHub over real HTTP): the launch resolves
the ref to a commit, the worker fetches that tree into the job's directory and runs the project's
playbook; a project naming a collection it does not vendor fails saying so, downloading nothing."""

from __future__ import annotations

import pytest

from apps.core.choices import SyncStatus
from apps.jobs.choices import HostStatus, JobStatus
from apps.jobs.models import JobTemplate
from apps.jobs.services import job_launch
from apps.projects.models import Project
from apps.projects.services import github_sync_now
from tests.jobs.helpers import job_output, start_jobs_worker, wait_job_finished
from tests.projects.conftest import ORG, TOKEN, sandbox_github  # noqa: F401 (fixture)
from tests.projects.factories import github_account

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def projects(sandbox_github):  # noqa: F811
    account = github_account(organization=ORG, base_url=sandbox_github, token=TOKEN)
    assert github_sync_now(account=account).status == SyncStatus.SUCCEEDED
    return {project.name: project for project in Project.objects.all()}


def _allow(settings, env: dict[str, str], entry: str) -> dict[str, str]:
    # The test sshd is on this machine: a project's playbook runs there only when allowlisted.
    settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST = [*settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST, entry]
    return {**env, "PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST": ",".join(settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST)}


def test_a_project_playbook_runs_at_the_commit_its_ref_resolved_to(
    fleet, projects, start_celery, fast_provisioning, settings
):
    project = projects["billing-engine"]
    env = _allow(settings, fast_provisioning, f"{project.full_name}:playbooks/ping.yml")
    worker = start_jobs_worker(start_celery, env)
    template = JobTemplate.objects.create(
        name="ping",
        project=project,
        ref=project.default_branch,
        playbook="playbooks/ping.yml",
        target={"labels": {"role": "web"}},
    )

    job = wait_job_finished(job_launch(template=template).pk, worker)

    assert job.status == JobStatus.SUCCEEDED, job_output(job)
    assert len(job.commit) == 40
    assert {host.status for host in job.hosts.all()} == {HostStatus.OK}
    assert job.events.filter(event="runner_on_ok").exists()


def test_a_project_that_does_not_vendor_its_collections_fails_saying_which(
    fleet, projects, start_celery, fast_provisioning, settings
):
    project = projects["deploy-pipeline"]
    env = _allow(settings, fast_provisioning, f"{project.full_name}:playbooks/site.yml")
    worker = start_jobs_worker(start_celery, env)
    template = JobTemplate.objects.create(
        name="site", project=project, playbook="playbooks/site.yml", target={"labels": {"role": "web"}}
    )

    job = wait_job_finished(job_launch(template=template).pk, worker)

    assert job.status == JobStatus.FAILED
    assert "sandbox_internal.rollout" in job.error
    assert "downloads nothing" in job.error or "vendor" in job.error
    assert not job.events.exists()  # no playbook started

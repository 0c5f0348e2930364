"""Jobs through a real Celery worker: one ansible-playbook over several hosts of the test sshd,
per-host results, output through the API, failures on one host, cancel, relaunch of the failed."""

from __future__ import annotations

import pytest

from apps.jobs.choices import HostStatus, JobStatus, LaunchedBy
from apps.jobs.models import Job, JobTemplate
from tests.conftest import wait_for
from tests.jobs.helpers import job_output, start_jobs_worker, wait_job_finished
from tests.roles import api_client_with_role

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(start_celery, fast_provisioning):
    return start_jobs_worker(start_celery, fast_provisioning)


@pytest.fixture
def api(db):
    return api_client_with_role("operator", "ops")


def _template(api, **fields) -> int:
    body = {"name": "hello", "playbook": "hello.yml", "target": {"labels": {"role": "web"}}, "forks": 5, **fields}
    response = api.post("/api/job-templates/", body, format="json")
    assert response.status_code == 201, response.data
    return response.data["id"]


def test_a_job_runs_one_playbook_across_the_selected_hosts_and_reports_each(api, fleet, sshd, worker):
    template_id = _template(api, extra_vars={"greeting": "hi"})

    response = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json")

    assert response.status_code == 202, response.data
    job = wait_job_finished(response.data["job_id"], worker)
    assert job.status == JobStatus.SUCCEEDED, job_output(job)
    detail = api.get(f"/api/jobs/{job.pk}/").data
    web = [server for server in fleet if server.labels["role"] == "web"]
    assert sorted(host["server"] for host in detail["hosts"]) == sorted(server.pk for server in web)
    assert {host["status"] for host in detail["hosts"]} == {HostStatus.CHANGED}
    assert all(host["changed"] >= 1 and host["failed"] == 0 for host in detail["hosts"])
    assert detail["launched_by"] == LaunchedBy.USER
    assert detail["launched_by_user"] == "ops"
    for host in detail["hosts"]:
        marker = sshd.home / "jobs-test" / f"{host['alias']}-{job.pk}.txt"
        assert marker.read_text() == "hi\n"
    events = api.get(f"/api/jobs/{job.pk}/events/?after=0").data
    assert events["finished"] is True
    assert events["events"][-1]["event"] == "playbook_on_stats"
    assert {event["host"] for event in events["events"] if event["host"]} == {h["alias"] for h in detail["hosts"]}
    # One ansible-playbook for the whole inventory: one playbook_on_start.
    assert [event["event"] for event in events["events"]].count("playbook_on_start") == 1
    listed = api.get(f"/api/jobs/?template={template_id}&status=succeeded&server={web[0].pk}&launched_by=user").data
    assert [row["id"] for row in listed["results"]] == [job.pk]


def test_a_host_that_fails_does_not_stop_the_others_and_a_relaunch_runs_only_it(api, fleet, worker):
    failing = fleet[1]
    template_id = _template(
        api, name="one fails", playbook="fails_on_one.yml", target={"servers": [s.pk for s in fleet]}
    )
    alias = failing.hostname
    response = api.post(
        f"/api/job-templates/{template_id}/launch/", {"extra_vars": {"failing_host": alias}}, format="json"
    )
    job = wait_job_finished(response.data["job_id"], worker)

    assert job.status == JobStatus.FAILED
    statuses = {host.server_id: host.status for host in job.hosts.all()}
    assert statuses[failing.pk] == HostStatus.FAILED
    assert [statuses[s.pk] for s in fleet if s.pk != failing.pk] == [HostStatus.OK, HostStatus.OK]
    assert "failing on purpose" in job.error

    relaunch = api.post(f"/api/jobs/{job.pk}/relaunch/", {"hosts": "failed"}, format="json")
    assert relaunch.status_code == 202, relaunch.data
    again = wait_job_finished(relaunch.data["job_id"], worker)
    assert again.launched_by == LaunchedBy.RELAUNCH
    assert again.relaunch_of_id == job.pk
    assert [host.server_id for host in again.hosts.all()] == [failing.pk]
    assert again.extra_vars == {"failing_host": alias}
    assert again.status == JobStatus.FAILED  # the same vars: it fails there again


def test_canceling_a_running_job_stops_its_playbook(api, fleet, worker):
    template_id = _template(api, name="slow", playbook="slow_job.yml", extra_vars={"wait_seconds": 120})
    job_id = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json").data["job_id"]
    wait_for(
        lambda: Job.objects.get(pk=job_id).events.filter(stdout__contains="slow job started").exists(),
        timeout=60,
        what=lambda: f"the slow job to start; worker said:\n{worker.output()[-4000:]}",
    )

    response = api.post(f"/api/jobs/{job_id}/cancel/", format="json")

    assert response.status_code == 200, response.data
    assert response.data["status"] == JobStatus.CANCELED
    assert response.data["canceled_by"] == "ops"
    wait_for(lambda: "job_superseded" in worker.output(), timeout=30, what="the worker to stop the playbook")
    assert api.post(f"/api/jobs/{job_id}/cancel/", format="json").status_code == 409


def test_a_template_that_forbids_concurrent_jobs_answers_409_with_the_running_job(api, fleet, worker):
    template_id = _template(
        api, name="serial", playbook="slow_job.yml", extra_vars={"wait_seconds": 120}, allow_concurrent=False
    )
    first = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json").data["job_id"]

    second = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json")

    assert second.status_code == 409
    assert second.data["active_job_id"] == first
    assert JobTemplate.objects.get(pk=template_id).jobs.count() == 1
    api.post(f"/api/jobs/{first}/cancel/", format="json")

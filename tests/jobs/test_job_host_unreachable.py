"""A host that becomes unreachable in the middle of a job: that host is `unreachable` with
ansible's reason, the others finish the playbook, and the job ends failed naming the host.

The host that goes away reaches an sshd of its own (same login key, its own port and host key);
once every host has run the first task, the test stops that sshd and its sessions, then lets the
playbook go on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.jobs.choices import HostStatus, JobStatus
from apps.jobs.models import Job
from apps.servers.models import Server
from tests.conftest import wait_for
from tests.fakes.sshd import TestSshd
from tests.jobs.helpers import job_output, start_jobs_worker, wait_job_finished
from tests.roles import api_client_with_role

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FIRST_TASK = "Create the test directory"


@pytest.fixture
def other_sshd(sshd) -> Iterator[TestSshd]:
    """A second test sshd that lets in the first one's login key."""
    server = TestSshd(client_key=sshd.client_key)
    try:
        yield server.start()
    finally:
        server.cleanup()


def test_a_host_unreachable_mid_run_is_unreachable_and_the_others_finish(
    fleet, sshd, other_sshd, start_celery, fast_provisioning
):
    api = api_client_with_role("operator", "ops")
    going = fleet[1]
    Server.objects.filter(pk=going.pk).update(ssh_port=other_sshd.port, host_key=other_sshd.host_key_line)
    staying = [server for server in fleet if server.pk != going.pk]
    worker = start_jobs_worker(start_celery, fast_provisioning)
    go_file = sshd.home / "jobs-test" / "go"
    template = api.post(
        "/api/job-templates/",
        {"name": "goes away", "playbook": "host_goes_away.yml", "target": {"servers": [s.pk for s in fleet]}},
        format="json",
    )
    assert template.status_code == 201, template.data

    launched = api.post(
        f"/api/job-templates/{template.data['id']}/launch/", {"extra_vars": {"go_file": str(go_file)}}, format="json"
    )

    assert launched.status_code == 202, launched.data
    job_id = launched.data["job_id"]
    aliases = {server.pk: server.hostname for server in fleet}
    wait_for(
        lambda: (
            set(
                Job.objects.get(pk=job_id)
                .events.filter(event="runner_on_ok", task=FIRST_TASK)
                .values_list("host", flat=True)
            )
            == set(aliases.values())
        ),
        timeout=90,
        what=lambda: f"every host to run the first task; worker said:\n{worker.output()[-4000:]}",
    )
    other_sshd.stop()  # the host goes away: no new connection, and its open session is cut
    go_file.touch()
    job = wait_job_finished(job_id, worker)

    detail = api.get(f"/api/jobs/{job_id}/").data
    hosts = {host["server"]: host for host in detail["hosts"]}
    assert detail["status"] == JobStatus.FAILED, job_output(job)
    assert hosts[going.pk]["status"] == HostStatus.UNREACHABLE, job_output(job)
    assert hosts[going.pk]["unreachable"] == 1
    # Refused, or cut in the middle of the task: either way ansible's words about ssh, and where.
    assert "'Wait for the go-ahead'" in hosts[going.pk]["reason"], job_output(job)
    assert "ssh" in hosts[going.pk]["reason"], job_output(job)
    assert [hosts[server.pk]["status"] for server in staying] == [HostStatus.CHANGED, HostStatus.CHANGED]
    assert all(hosts[server.pk]["failed"] == hosts[server.pk]["unreachable"] == 0 for server in staying)
    assert f"unreachable: {aliases[going.pk]}" in detail["error"]
    for server in staying:
        assert (sshd.home / "jobs-test" / f"{aliases[server.pk]}-{job_id}.txt").read_text() == "finished\n"
    assert not (sshd.home / "jobs-test" / f"{aliases[going.pk]}-{job_id}.txt").exists()
    # The host that went away is what a relaunch of the failed hosts runs again.
    relaunch = api.post(f"/api/jobs/{job_id}/relaunch/", {"hosts": "failed"}, format="json")
    assert relaunch.status_code == 202, relaunch.data
    again = Job.objects.get(pk=relaunch.data["job_id"])
    assert [host.server_id for host in again.hosts.all()] == [going.pk]
    again = wait_job_finished(again.pk, worker)
    assert again.hosts.get().status == HostStatus.UNREACHABLE  # it is still away
    assert f"port {other_sshd.port}: Connection refused" in again.hosts.get().reason

"""A job's page follows the job in place: it polls the events cursor and the job's status answer
(console/live_output.js), and offers the whole output as a download. The script itself runs in
the browser tests; here, what it is given: the page's addresses, the answers and who gets them.

No worker runs: the jobs are rows in the states a worker would leave them in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.jobs.choices import HostStatus, JobStatus
from apps.jobs.models import Job, JobEvent, JobHost
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

JOBS = "/admin/jobs/job/"


@pytest.fixture
def viewer(client):
    client.force_login(user_with_role("viewer", "vera"))
    return client


@pytest.fixture
def job():
    """A running job on two hosts, one of them done, the other still going."""
    started = timezone.now() - timedelta(seconds=30)
    job = Job.objects.create(name="hello web", playbook="hello.yml", status=JobStatus.RUNNING, started_at=started)
    JobHost.objects.create(job=job, name="web1.example.com", alias="web1", status=HostStatus.OK, ok=2, changed=1)
    JobHost.objects.create(job=job, name="web2.example.com", alias="web2", reason="<i>no host key</i>")
    return job


def add_events(job: Job, *stdouts: str) -> None:
    start = job.events.count()
    JobEvent.objects.bulk_create(
        JobEvent(job=job, seq=start + n, event="runner_on_ok", stdout=text, created_at=timezone.now())
        for n, text in enumerate(stdouts, start=1)
    )


def test_a_running_job_page_has_no_reload_and_gives_the_script_what_it_polls(viewer, job):
    add_events(job, "PLAY [web] ****")

    html = viewer.get(f"{JOBS}{job.pk}/change/").content.decode()

    assert "http-equiv" not in html
    assert '<script src="/static/console/live_output.js" defer></script>' in html
    assert 'id="job-output"' in html
    assert f'data-events-url="/api/jobs/{job.pk}/events/"' in html
    assert f'data-status-url="{JOBS}{job.pk}/live/"' in html
    assert 'data-after="0"' in html
    assert 'data-finished="false"' in html
    for element in ('id="job-status"', 'id="job-hosts"', 'id="output-search"'):
        assert element in html
    assert f'<a href="{JOBS}{job.pk}/log/" id="output-download" download>Download log</a>' in html
    assert "PLAY [web] ****</pre>" in html  # what the page shows before (or without) the script


def test_the_events_cursor_answers_the_admins_session(viewer, job):
    add_events(job, "PLAY [web] ****", "TASK [ping] ****", "ok: [web1]")

    body = viewer.get(f"/api/jobs/{job.pk}/events/", {"after": 2}).json()

    assert [event["stdout"] for event in body["events"]] == ["ok: [web1]"]
    assert (body["next_after"], body["finished"]) == (3, False)


def test_the_status_answer_shows_the_hosts_and_says_when_the_job_finished(viewer, job):
    running = viewer.get(f"{JOBS}{job.pk}/live/")

    assert running.status_code == 200
    body = running.json()
    assert (body["status"], body["finished"]) == ("running", False)
    assert body["elapsed_seconds"] >= 30
    assert "following the job" in body["fragments"]["job-status"]
    hosts = body["fragments"]["job-hosts"]
    assert "<td>web1</td>" in hosts
    assert "<td>ok</td>" in hosts
    assert "<td>2</td><td>1</td><td>0</td><td>0</td><td>0</td>" in hosts
    assert "web2.example.com (gone)" in hosts  # no server row behind it
    assert "&lt;i&gt;no host key&lt;/i&gt;" in hosts

    ended = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, started_at=ended - timedelta(minutes=3), finished_at=ended
    )
    job.hosts.filter(alias="web2").update(status=HostStatus.FAILED, failed=1)

    done = viewer.get(f"{JOBS}{job.pk}/live/").json()

    assert (done["status"], done["status_label"], done["finished"], done["elapsed"]) == (
        "failed",
        "Failed",
        True,
        "3 min 0 s",
    )
    assert "finished" in done["fragments"]["job-status"]
    assert '<tr class="host-failed">' in done["fragments"]["job-hosts"]


def test_the_download_holds_every_line_even_those_the_page_leaves_out(viewer, job, monkeypatch):
    monkeypatch.setattr("apps.jobs.admin_display.OUTPUT_LINES_SHOWN", 2)
    add_events(job, "PLAY [web] ****", "\x1b[0;33mchanged: [web1]\x1b[0m", "", "TASK [two] ****\nok: [web1]")

    page = viewer.get(f"{JOBS}{job.pk}/change/").content.decode()
    download = viewer.get(f"{JOBS}{job.pk}/log/")

    assert "PLAY [web] ****" not in page
    assert 'data-after="3"' in page  # the script continues after what the page shows
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="job-{job.pk}.log"'
    text = b"".join(download.streaming_content).decode()
    assert text == "PLAY [web] ****\nchanged: [web1]\nTASK [two] ****\nok: [web1]\n"


def test_viewers_read_the_live_answers_and_others_are_turned_away(client, job):
    addresses = [f"{JOBS}{job.pk}/live/", f"{JOBS}{job.pk}/log/"]

    for address in addresses:
        anonymous = client.get(address)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/admin/login/")
    assert client.get(f"/api/jobs/{job.pk}/events/").status_code in (401, 403)

    client.force_login(get_user_model().objects.create_user(username="staff", is_staff=True))
    for address in addresses:
        assert client.get(address).status_code == 403
    assert client.get(f"/api/jobs/{job.pk}/events/").status_code == 403

    client.force_login(user_with_role("viewer", "vera"))
    for address in addresses:
        assert client.get(address).status_code == 200
    assert client.get(f"/api/jobs/{job.pk}/events/").status_code == 200
    assert client.get(f"{JOBS}{job.pk + 1}/live/").status_code == 404

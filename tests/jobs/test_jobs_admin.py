"""The jobs admin as operators and viewers use it: templates checked when saved and launched from
their page, read-only job pages with hosts and output, cancel after a confirmation, relaunch,
schedules through the scheduling services, and "run a job here" from a server's page.

No worker runs here: the jobs stay queued (their messages are purged), which is what the pages
are about; tests/jobs/test_jobs_with_a_worker.py runs them.
"""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django_celery_beat.models import PeriodicTask

from apps.jobs.choices import HostStatus, JobStatus, LaunchedBy
from apps.jobs.models import Job, JobEvent, JobSchedule, JobTemplate
from apps.jobs.services import schedule_next_run_at
from tests.conftest import purge_queues
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db(transaction=True)

TEMPLATES = "/admin/jobs/jobtemplate/"
JOBS = "/admin/jobs/job/"
SCHEDULES = "/admin/jobs/jobschedule/"
SERVERS = "/admin/servers/server/"


@pytest.fixture(autouse=True)
def clean_broker():
    purge_queues()
    yield
    purge_queues()


@pytest.fixture
def operator(client):
    client.force_login(user_with_role("operator", "ops"))
    return client


@pytest.fixture
def viewer(client):
    client.force_login(user_with_role("viewer", "vera"))
    return client


@pytest.fixture
def web_template(fleet):
    return JobTemplate.objects.create(name="hello web", playbook="hello.yml", target={"labels": {"role": "web"}})


def template_form(**fields) -> dict:
    values = {
        "name": "hello",
        "description": "",
        "project": "",
        "ref": "",
        "playbook": "hello.yml",
        "target": json.dumps({"labels": {"role": "web"}}),
        "extra_vars": json.dumps({"greeting": "hi"}),
        "survey": "",
        "forks": "5",
        "timeout_seconds": "600",
        "notify_on": "failure",
        "allow_concurrent": "on",
    }
    values.update(fields)
    return values


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_operator_creates_a_template_through_the_form_which_checks_the_playbook(operator, fleet):
    missing = operator.post(f"{TEMPLATES}add/", template_form(playbook="missing.yml"))

    assert missing.status_code == 200
    errors = missing.context["adminform"].form.errors
    assert "no playbook 'missing.yml' in the platform's directory" in errors["playbook"][0]
    assert "hello.yml" in errors["playbook"][0]  # the playbooks that are there
    assert not JobTemplate.objects.exists()

    created = operator.post(f"{TEMPLATES}add/", template_form(), follow=True)

    template = JobTemplate.objects.get()
    assert (template.playbook, template.target, template.extra_vars) == (
        "hello.yml",
        {"labels": {"role": "web"}},
        {"greeting": "hi"},
    )
    assert template.created_by.username == "ops"
    listing = created.content.decode()
    assert "hello" in listing
    assert "platform" in listing
    assert "labels role=web" in listing


def test_the_templates_json_fields_are_text_areas_of_indented_json(operator, web_template):
    page = operator.get(f"{TEMPLATES}{web_template.pk}/change/")

    html = page.content.decode()
    assert '<textarea name="target"' in html
    assert "{\n  &quot;labels&quot;: {\n    &quot;role&quot;: &quot;web&quot;\n  }\n}" in html
    assert 'id="template-launch"' in html


def test_a_template_form_shows_each_fields_error_from_the_check(operator, fleet):
    page = operator.post(
        f"{TEMPLATES}add/",
        template_form(target=json.dumps({"colour": "red"}), extra_vars="[1, 2]", survey=json.dumps({"type": "string"})),
    )

    errors = page.context["adminform"].form.errors
    assert "unknown target keys: colour" in errors["target"][0]
    assert "a JSON object" in errors["extra_vars"][0]
    assert '"type": "object"' in errors["survey"][0]


def test_launching_from_the_launch_page_lands_on_the_job_page_showing_its_hosts(operator, web_template, fleet):
    page = operator.get(f"{TEMPLATES}{web_template.pk}/launch/")

    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r"<textarea name=\"extra_vars\"[^>]*>\s*{}</textarea>", html)
    web = [server for server in fleet if server.labels["role"] == "web"]
    offered = sorted(value for value, _ in page.context["form"].fields["limit"].choices)
    assert offered == sorted(server.pk for server in web)

    launched = operator.post(
        f"{TEMPLATES}{web_template.pk}/launch/",
        {"extra_vars": json.dumps({"greeting": "hey"}), "limit": [web[0].pk]},
        follow=True,
    )

    job = Job.objects.get()
    assert launched.redirect_chain[-1][0] == f"{JOBS}{job.pk}/change/"
    assert (job.status, job.extra_vars, job.launched_by) == (JobStatus.QUEUED, {"greeting": "hey"}, LaunchedBy.USER)
    assert [host.server_id for host in job.hosts.all()] == [web[0].pk]
    assert f"Launched job #{job.pk} (hello web) on 1 host(s)." in messages_of(launched)
    html = launched.content.decode()
    host = job.hosts.get()
    assert f"<td>{host.alias}</td>" in html
    assert f'href="/admin/servers/server/{web[0].pk}/change/"' in html
    assert 'data-finished="false"' in html  # a queued job's page follows it (tests/jobs/test_job_live_output.py)
    templates = operator.get(TEMPLATES).content.decode()
    assert f'<a href="{JOBS}{job.pk}/change/">#{job.pk}</a> queued' in templates


def test_the_launch_page_shows_a_400_on_its_field_and_a_409_above_the_form(operator, web_template):
    bad_vars = operator.post(f"{TEMPLATES}{web_template.pk}/launch/", {"extra_vars": json.dumps({"platform_x": 1})})

    assert "are set by the platform" in bad_vars.context["form"].errors["extra_vars"][0]
    assert not Job.objects.exists()

    JobTemplate.objects.filter(pk=web_template.pk).update(allow_concurrent=False)
    first = operator.post(f"{TEMPLATES}{web_template.pk}/launch/", {"extra_vars": "{}"})
    assert first.status_code == 302
    running = Job.objects.get()

    refused = operator.post(f"{TEMPLATES}{web_template.pk}/launch/", {"extra_vars": "{}"})

    assert refused.status_code == 200
    html = refused.content.decode()
    assert f"job #{running.pk} of hello web is still running" in html
    assert f'<a href="{JOBS}{running.pk}/change/">Open job #{running.pk}</a>' in html
    assert Job.objects.count() == 1


def test_a_viewer_sees_no_launch_button_and_is_refused_the_launch_page(viewer, web_template):
    page = viewer.get(f"{TEMPLATES}{web_template.pk}/change/")
    launch = viewer.get(f"{TEMPLATES}{web_template.pk}/launch/")
    posted = viewer.post(f"{TEMPLATES}{web_template.pk}/launch/", {"extra_vars": "{}"})

    assert page.status_code == 200
    assert b"Launch" not in page.content
    assert (launch.status_code, posted.status_code) == (403, 403)
    assert not Job.objects.exists()


def launch(client, template) -> Job:
    response = client.post(f"{TEMPLATES}{template.pk}/launch/", {"extra_vars": "{}"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    return Job.objects.order_by("-pk").first()


def test_the_job_list_summarizes_hosts_and_the_job_page_has_no_save_or_delete(operator, web_template):
    job = launch(operator, web_template)
    first, second = job.hosts.order_by("alias")
    first.status, first.ok = HostStatus.OK, 2
    first.save()
    second.status, second.failed, second.reason = HostStatus.FAILED, 1, ""
    second.save()
    for seq, stdout in enumerate(["PLAY [all] ***", "<script>x</script>"], start=1):
        JobEvent.objects.create(job=job, seq=seq, event="runner_on_ok", stdout=stdout, created_at=timezone.now())

    listing = operator.get(JOBS).content.decode()
    page = operator.get(f"{JOBS}{job.pk}/change/")

    assert "1 ok, 1 failed" in listing
    assert "a user (ops)" in listing
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert "deletelink" not in html
    assert f"{JOBS}{job.pk}/delete/" not in html
    assert "PLAY [all] ***\n&lt;script&gt;x&lt;/script&gt;" in html
    assert 'id="job-cancel"' in html
    assert 'id="job-relaunch-all"' in html
    assert operator.get(f"{JOBS}add/").status_code == 403
    assert operator.post(f"{JOBS}{job.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Job.objects.filter(pk=job.pk).exists()


def test_the_job_page_shows_the_last_2000_lines_of_output(operator, web_template):
    job = launch(operator, web_template)
    lines = [f"line {n}" for n in range(2500)]
    for seq, start in enumerate(range(0, 2500, 500), start=1):
        stdout = "\n".join(lines[start : start + 500])
        JobEvent.objects.create(job=job, seq=seq, event="runner_on_ok", stdout=stdout, created_at=timezone.now())

    html = operator.get(f"{JOBS}{job.pk}/change/").content.decode()

    assert "Showing the last 2000 lines." in html
    assert "line 500\n" in html
    assert "line 2499</pre>" in html
    assert "line 499\n" not in html


def test_cancel_asks_on_a_confirmation_page_then_cancels(operator, web_template):
    job = launch(operator, web_template)

    asked = operator.get(f"{JOBS}{job.pk}/cancel/")

    assert asked.status_code == 200
    assert f"Yes, cancel job #{job.pk}" in asked.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED

    done = operator.post(f"{JOBS}{job.pk}/cancel/", follow=True)

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED
    assert job.canceled_by.username == "ops"
    assert f"Job #{job.pk} canceled." in messages_of(done)
    html = done.content.decode()
    assert 'id="job-cancel"' not in html
    assert "http-equiv" not in html
    assert 'id="job-relaunch-failed"' in html  # its hosts did not finish


def test_relaunch_failed_starts_a_new_job_on_those_hosts_and_opens_it(operator, web_template, fleet):
    job = launch(operator, web_template)
    operator.post(f"{JOBS}{job.pk}/cancel/")
    ok_host = job.hosts.order_by("alias").first()
    job.hosts.filter(pk=ok_host.pk).update(status=HostStatus.OK)

    relaunched = operator.post(f"{JOBS}{job.pk}/relaunch/", {"hosts": "failed"}, follow=True)

    new = Job.objects.order_by("-pk").first()
    assert new.pk != job.pk
    assert relaunched.redirect_chain[-1][0] == f"{JOBS}{new.pk}/change/"
    assert (new.launched_by, new.relaunch_of_id) == (LaunchedBy.RELAUNCH, job.pk)
    assert [h.server_id for h in new.hosts.all()] == [h.server_id for h in job.hosts.exclude(pk=ok_host.pk)]
    assert operator.get(f"{JOBS}{job.pk}/relaunch/").status_code == 405


def test_a_viewer_reads_a_job_but_has_no_buttons_and_cannot_cancel(operator, web_template, client):
    job = launch(operator, web_template)
    client.force_login(user_with_role("viewer", "vera"))

    page = client.get(f"{JOBS}{job.pk}/change/")
    cancel = client.post(f"{JOBS}{job.pk}/cancel/")
    relaunch = client.post(f"{JOBS}{job.pk}/relaunch/", {"hosts": "all"})

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="job-cancel"' not in html
    assert 'id="job-relaunch-all"' not in html
    assert (cancel.status_code, relaunch.status_code) == (403, 403)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED


def schedule_form(template, **fields) -> dict:
    values = {
        "name": "every five minutes",
        "template": str(template.pk),
        "interval_seconds": "300",
        "crontab": "",
        "timezone": "",
        "enabled": "on",
        "extra_vars": "{}",
    }
    values.update(fields)
    return values


def test_a_schedule_created_through_the_admin_form_appears_with_its_next_run(operator, web_template):
    bad = operator.post(f"{SCHEDULES}add/", schedule_form(web_template, interval_seconds="", crontab="61 * * * *"))

    assert bad.status_code == 200
    assert "not a valid crontab" in bad.context["adminform"].form.errors["crontab"][0]
    assert not JobSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(name="every five minutes").exists()

    created = operator.post(f"{SCHEDULES}add/", schedule_form(web_template), follow=True)

    schedule = JobSchedule.objects.get()
    assert schedule.periodic_task.interval.every == 300
    html = created.content.decode()
    assert "every five minutes" in html
    assert "every 300 s" in html
    next_run = schedule_next_run_at(schedule)
    assert next_run > timezone.now()
    assert date_format(timezone.localtime(next_run), "DATETIME_FORMAT") in html

    edited = operator.post(
        f"{SCHEDULES}{schedule.pk}/change/",
        schedule_form(web_template, interval_seconds="", crontab="30 4 * * *", timezone="Europe/Vilnius"),
        follow=True,
    )

    assert "30 4 * * * Europe/Vilnius" in edited.content.decode()
    taken = operator.post(f"{SCHEDULES}add/", schedule_form(web_template))
    assert "exists" in taken.context["adminform"].form.errors["name"][0]


def test_deleting_a_schedule_in_the_admin_deletes_its_beat_row(operator, web_template):
    operator.post(f"{SCHEDULES}add/", schedule_form(web_template))
    schedule = JobSchedule.objects.get()

    operator.post(f"{SCHEDULES}{schedule.pk}/delete/", {"post": "yes"})

    assert not JobSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(name="every five minutes").exists()


def test_run_a_job_here_launches_the_template_on_that_server_only(operator, web_template, fleet):
    db_server = next(server for server in fleet if server.labels["role"] == "db")
    server_page = operator.get(f"{SERVERS}{db_server.pk}/change/").content.decode()
    assert "No jobs ran here yet." in server_page
    assert f'href="{SERVERS}{db_server.pk}/run-job/"' in server_page
    action = operator.post(SERVERS, {"action": "run_job", "_selected_action": [db_server.pk]})
    assert action.url == f"{SERVERS}{db_server.pk}/run-job/"

    launched = operator.post(
        f"{SERVERS}{db_server.pk}/run-job/", {"template": web_template.pk, "extra_vars": "{}"}, follow=True
    )

    job = Job.objects.get()
    assert launched.redirect_chain[-1][0] == f"{JOBS}{job.pk}/change/"
    assert [host.server_id for host in job.hosts.all()] == [db_server.pk]  # not the template's web servers
    server_page = operator.get(f"{SERVERS}{db_server.pk}/change/").content.decode()
    assert f'<a href="{JOBS}{job.pk}/change/">#{job.pk}</a> hello web: pending here, job queued' in server_page
    jobs_of_server = operator.get(f"{JOBS}?hosts__server__id__exact={db_server.pk}")
    assert [row.pk for row in jobs_of_server.context["cl"].result_list] == [job.pk]


def test_a_viewer_is_not_offered_run_a_job_here(viewer, web_template, fleet):
    server = fleet[0]

    page = viewer.get(f"{SERVERS}{server.pk}/change/").content.decode()
    run_job = viewer.get(f"{SERVERS}{server.pk}/run-job/")

    assert "Run a job here" not in page
    assert run_job.status_code == 403


def test_a_viewer_reads_a_schedule_page_but_cannot_change_it(operator, web_template, client):
    operator.post(
        f"{SCHEDULES}add/",
        schedule_form(web_template, interval_seconds="", crontab="30 4 * * *", timezone="Europe/Vilnius"),
    )
    schedule = JobSchedule.objects.get()
    client.force_login(user_with_role("viewer", "vera"))

    page = client.get(f"{SCHEDULES}{schedule.pk}/change/")
    posted = client.post(f"{SCHEDULES}{schedule.pk}/change/", schedule_form(web_template, name="renamed"))

    html = page.content.decode()
    assert page.status_code == 200
    # Shown as text, not as fields to edit.
    assert re.search(r'<div class="readonly[^"]*">30 4 \* \* \*</div>', html)
    assert re.search(r'<div class="readonly[^"]*">Europe/Vilnius</div>', html)
    assert 'name="crontab"' not in html
    assert 'name="_save"' not in html
    assert posted.status_code == 403
    assert PeriodicTask.objects.filter(name="every five minutes").exists()

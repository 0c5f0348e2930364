"""Job schedules: django-celery-beat rows behind the beat lease; a launch per due time, skipped
(with the reason) while the previous job runs or when it comes late, never twice for one message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.jobs.choices import JobStatus, LaunchedBy
from apps.jobs.models import Job, JobSchedule, JobTemplate
from apps.jobs.services import scheduled_launch
from tests.conftest import purge_queues
from tests.roles import api_client_with_role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clean_broker():
    purge_queues()
    yield
    purge_queues()


@pytest.fixture
def api(db, fast_provisioning):
    return api_client_with_role("operator", "ops")


@pytest.fixture
def template(fleet):
    return JobTemplate.objects.create(name="hello", playbook="hello.yml", target={"labels": {"role": "web"}})


def test_a_schedule_is_a_beat_row_with_its_next_run_and_bad_timing_is_a_field_error(api, template):
    url = f"/api/job-templates/{template.pk}/schedules/"

    interval = api.post(url, {"name": "every five minutes", "interval_seconds": 300}, format="json")
    cron = api.post(url, {"name": "weekdays", "crontab": "30 4 * * 1-5", "timezone": "Europe/Vilnius"}, format="json")

    assert interval.status_code == 201, interval.data
    assert interval.data["interval_seconds"] == 300
    assert interval.data["next_run_at"]
    assert cron.status_code == 201, cron.data
    assert (cron.data["crontab"], cron.data["timezone"]) == ("30 4 * * 1-5", "Europe/Vilnius")
    row = PeriodicTask.objects.get(name="weekdays")
    assert row.task == "jobs.launch_scheduled"
    assert str(row.crontab.timezone) == "Europe/Vilnius"
    assert api.post(url, {"name": "x", "crontab": "61 * * * *"}, format="json").status_code == 400
    assert (
        "timezone" in api.post(url, {"name": "y", "crontab": "0 1 * * *", "timezone": "Mars/Base"}, format="json").data
    )
    assert api.post(url, {"name": "z"}, format="json").status_code == 400
    assert api.post(url, {"name": "weekdays", "interval_seconds": 60}, format="json").status_code == 400
    listed = api.get(f"/api/schedules/?template={template.pk}").data["results"]
    assert sorted(s["name"] for s in listed) == ["every five minutes", "weekdays"]
    assert (
        api.patch(f"/api/schedules/{interval.data['id']}/", {"enabled": False}, format="json").data["next_run_at"]
        is None
    )
    assert api.delete(f"/api/schedules/{cron.data['id']}/").status_code == 204
    assert not PeriodicTask.objects.filter(name="weekdays").exists()


def _schedule(api, template, **fields) -> JobSchedule:
    response = api.post(
        f"/api/job-templates/{template.pk}/schedules/", {"name": "s", "interval_seconds": 60, **fields}, format="json"
    )
    assert response.status_code == 201, response.data
    return JobSchedule.objects.get(pk=response.data["id"])


def _beat_sent(schedule: JobSchedule, *, at=None) -> None:
    PeriodicTask.objects.filter(pk=schedule.periodic_task_id).update(last_run_at=at or timezone.now())


def test_one_message_launches_one_job_and_a_running_previous_job_skips_the_next(api, template):
    schedule = _schedule(api, template)
    PeriodicTask.objects.filter(pk=schedule.periodic_task_id).update(
        date_changed=timezone.now() - timedelta(seconds=60)
    )
    _beat_sent(schedule)

    assert scheduled_launch(schedule_id=schedule.pk, dispatch_key="m-1") == "launched"
    assert scheduled_launch(schedule_id=schedule.pk, dispatch_key="m-1") == "duplicate"  # redelivered
    job = Job.objects.get()
    assert (job.launched_by, job.schedule_id) == (LaunchedBy.SCHEDULE, schedule.pk)

    _beat_sent(schedule, at=timezone.now() + timedelta(seconds=60))
    assert scheduled_launch(schedule_id=schedule.pk, dispatch_key="m-2") == "skipped"
    schedule.refresh_from_db()
    assert f"previous job #{job.pk} is still queued" in schedule.last_skip_reason
    assert Job.objects.count() == 1
    shown = api.get(f"/api/schedules/{schedule.pk}/").data
    assert shown["last_job"] == {"id": job.pk, "status": JobStatus.QUEUED, "error": ""}
    assert "still queued" in shown["last_skip_reason"]


def test_a_launch_sent_long_after_it_was_due_is_skipped_as_missed(api, template):
    schedule = _schedule(api, template)
    JobSchedule.objects.filter(pk=schedule.pk).update(last_fired_at=timezone.now() - timedelta(hours=3))
    _beat_sent(schedule)  # beat caught up after three hours down

    assert scheduled_launch(schedule_id=schedule.pk, dispatch_key="late") == "skipped"

    schedule.refresh_from_db()
    assert "missed" in schedule.last_skip_reason
    assert "not made up" in schedule.last_skip_reason
    assert not Job.objects.exists()
    _beat_sent(schedule, at=schedule.last_fired_at + timedelta(seconds=60))  # the next, on time
    assert scheduled_launch(schedule_id=schedule.pk, dispatch_key="on-time") == "launched"

"""Job schedules: django-celery-beat rows behind the beat lease; a launch per due time, skipped
(with the reason) while the previous job runs or when it comes late, never twice for one message;
with two real beats and a worker, one launch per due time and one job per launch."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_results.models import TaskResult

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from apps.core.beat_lease import beat_lease_state
from apps.jobs import task_names
from apps.jobs.choices import JobStatus, LaunchedBy
from apps.jobs.models import Job, JobSchedule, JobTemplate
from apps.jobs.services import scheduled_launch
from tests.conftest import purge_queues, wait_for
from tests.jobs.helpers import start_jobs_worker, wait_job_finished
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


# --- Two real beats and a worker --------------------------------------------------------------
INTERVAL = 10  # seconds: the shortest interval a schedule may have
FIRINGS = 3
BEAT_LEASE_SECONDS = "6"


def _holder_pid() -> int | None:
    holder = beat_lease_state().holder  # "host:pid:random"
    return int(holder.split(":")[1]) if holder else None


def _launches_run() -> list[TaskResult]:
    """The launch messages the worker ran to the end, oldest first."""
    finished = TaskResult.objects.filter(task_name=task_names.LAUNCH_SCHEDULED, status="SUCCESS")
    return list(finished.order_by("date_created"))


@pytest.mark.services
@pytest.mark.worker
def test_two_beats_send_one_launch_per_due_time_and_each_launch_makes_one_job(
    api, template, start_celery, fast_provisioning
):
    schedule = _schedule(api, template, name="every ten seconds", interval_seconds=INTERVAL)
    worker = start_jobs_worker(start_celery, fast_provisioning)
    beats = [
        start_celery("beat", "--loglevel", "INFO", "--schedule", "/dev/null", BEAT_LEASE_SECONDS=BEAT_LEASE_SECONDS)
        for _ in range(2)
    ]
    by_pid = {beat.process.pid: beat for beat in beats}
    leader = by_pid[
        wait_for(
            lambda: _holder_pid() in by_pid and _holder_pid(),
            timeout=60,
            what=lambda: "a beat to hold the lease:\n" + "\n".join(beat.output()[-2000:] for beat in beats),
        )
    ]
    standby = next(beat for beat in beats if beat is not leader)

    wait_for(
        lambda: PeriodicTask.objects.get(pk=schedule.periodic_task_id).total_run_count >= FIRINGS,
        timeout=FIRINGS * INTERVAL + 60,
        interval=0.5,
        what=lambda: f"{FIRINGS} due times; the leader said:\n{leader.output()[-3000:]}",
    )
    assert standby.process.poll() is None, standby.output()
    standby.stop()
    leader.stop()  # the standby first: a leader stopping first hands it the lease
    firings = PeriodicTask.objects.get(pk=schedule.periodic_task_id).total_run_count
    launches = wait_for(
        lambda: len(rows := _launches_run()) >= firings and rows,
        timeout=60,
        what=lambda: f"the worker to run {firings} launches; it said:\n{worker.output()[-4000:]}",
    )
    jobs = list(Job.objects.filter(schedule=schedule).order_by("created_at"))
    for job in jobs:
        wait_job_finished(job.pk, worker)

    sent = f"Sending due task {schedule.periodic_task.name} ({task_names.LAUNCH_SCHEDULED})"
    said = [beat.log_path.read_text(errors="replace") for beat in (leader, standby)]  # stopped: read their logs
    assert [text.count(sent) for text in said] == [firings, 0]
    assert len(launches) == firings
    outcomes = Counter(json.loads(launch.result) for launch in launches)
    print(f"\ntwo beats: {firings} due times, launches {dict(outcomes)}")
    # A due time may be skipped only because the job of the one before still ran (a slow
    # machine): never as a duplicate, never as missed.
    assert set(outcomes) <= {"launched", "skipped"}, outcomes
    skips = AuditEvent.objects.filter(action=AuditAction.JOB_SCHEDULE_SKIP).values_list("detail", flat=True)
    assert all("is still" in detail["reason"] for detail in skips), list(skips)
    assert len(skips) == outcomes["skipped"]
    assert len(jobs) == outcomes["launched"]
    assert outcomes["launched"] >= 2, outcomes  # due time after due time made its job
    launched = {launch.task_id for launch in launches if json.loads(launch.result) == "launched"}
    assert {job.dispatch_key for job in jobs} == launched  # one job per launch message
    assert {(job.launched_by, job.status) for job in Job.objects.filter(pk__in=[j.pk for j in jobs])} == {
        (LaunchedBy.SCHEDULE, JobStatus.SUCCEEDED)
    }
    assert all(
        (later.created_at - earlier.created_at).total_seconds() > INTERVAL / 2 for earlier, later in pairwise(jobs)
    ), [job.created_at for job in jobs]
    shown = api.get(f"/api/schedules/{schedule.pk}/").data
    assert shown["last_job"]["id"] == jobs[-1].pk

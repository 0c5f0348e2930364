"""A real worker process (not eager mode) runs tasks through the configured broker.

The SQLite pass runs these through Celery's filesystem broker; CI's second pass runs the
same tests through Redis.
"""

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from apps.core import task_names
from apps.core.models import Heartbeat
from apps.core.services import periodic_tasks_register
from tasks import app as celery_app
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def heartbeat() -> Heartbeat | None:
    return Heartbeat.objects.filter(id=Heartbeat.SINGLETON_ID).first()


def test_worker_runs_a_task_sent_through_the_broker_and_stores_its_result(celery_worker_process):
    result = celery_app.send_task(task_names.CLEANUP_TASK_RESULTS)

    assert result.get(timeout=60) == 0
    stored = TaskResult.objects.get(task_id=result.id)
    assert stored.status == "SUCCESS"
    assert stored.task_name == task_names.CLEANUP_TASK_RESULTS


def test_worker_records_when_it_ran_the_heartbeat(celery_worker_process):
    celery_app.send_task(task_names.HEARTBEAT)

    beat = wait_for(lambda: (h := heartbeat()) and h.worker_ran_at and h, timeout=60, what="heartbeat run")
    assert beat.worker_hostname
    # Sent by hand, not by beat: "beat last sent" stays unknown.
    assert beat.beat_sent_at is None


def test_beat_sends_the_heartbeat_on_its_schedule_and_a_worker_runs_it(celery_worker_process, start_celery):
    started = timezone.now()
    periodic_tasks_register()
    # An operator shortens the interval in the admin; beat must honour the database schedule.
    fast, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name="heartbeat").update(interval=fast)
    PeriodicTask.objects.exclude(name="heartbeat").update(enabled=False)

    beat_process = start_celery("beat", "--loglevel", "INFO", "--schedule", "/dev/null")

    done = wait_for(
        lambda: (h := heartbeat()) and h.beat_sent_at and h.worker_ran_at and h,
        timeout=90,
        what=lambda: f"beat to send and a worker to run the heartbeat; beat said:\n{beat_process.output()[-3000:]}",
    )
    assert done.beat_sent_at > started
    assert done.worker_ran_at > started
    assert "Sending due task heartbeat (core.heartbeat)" in beat_process.output()

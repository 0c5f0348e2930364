"""The beat fault test's task, loaded only by the worker that test starts (`celery worker -I ...`).

Each run leaves one row whose `first_run_at` is when the worker ran it, keyed by the periodic
task that sent it and the message id, so the test reads every send of every periodic task with
its time.
"""

from __future__ import annotations

from tasks.celery_app import app
from tests.testapp.models import TaskExecution

BEAT_TICK = "faults.beat_tick"
BEAT_QUEUE = "faults_beat"


@app.task(name=BEAT_TICK, bind=True, soft_time_limit=4, time_limit=5, ignore_result=True)
def beat_tick(self, periodic_task: str) -> None:
    TaskExecution.objects.create(key=f"{periodic_task}:{self.request.id}", executions=1)

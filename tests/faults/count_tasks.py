"""The fault tests' counting task, loaded only by the workers they start (`celery worker -I ...`).

`faults.record` is idempotent in effect, like every platform task: a key it has seen is counted
again instead of added twice, so a redelivered message shows up as a duplicate, never as a new
result. It sleeps around the write so that some tasks are always in flight when a test kills a
worker or stops the broker, some before their write and some after it (unacknowledged).
"""

from __future__ import annotations

import time

from django.db.models import F
from django.utils import timezone

from tasks.celery_app import app
from tests.testapp.models import TaskExecution

RECORD = "faults.record"
QUEUE = "faults"


@app.task(name=RECORD, bind=True, soft_time_limit=4, time_limit=5, ignore_result=True)
def record(self, key: str | None = None, sleep_ms: int = 0) -> None:
    # Without a key (beat's periodic sends carry the same arguments every time), the message's
    # own id is the key, so each send is counted once.
    key = key or f"tick-{self.request.id}"
    time.sleep(sleep_ms / 2000)
    row, _ = TaskExecution.objects.get_or_create(key=key)
    TaskExecution.objects.filter(pk=row.pk).update(executions=F("executions") + 1, last_run_at=timezone.now())
    time.sleep(sleep_ms / 2000)

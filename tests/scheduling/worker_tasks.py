"""A task that runs until the test lets it finish, loaded only by the workers the scheduling
tests start (`celery worker --include tests.scheduling.worker_tasks`)."""

from __future__ import annotations

import time
from pathlib import Path

from tasks.celery_app import app

WAIT_FOR_FILE = "scheduling_tests.wait_for_file"


@app.task(name=WAIT_FOR_FILE, soft_time_limit=50, time_limit=60, ignore_result=True)
def wait_for_file(path: str, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.1)

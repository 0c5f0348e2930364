"""Sending a task by name once the current transaction commits: the one way a run (a sync run,
a provisioning phase) is handed to a worker.

After the commit, so a worker never looks for a row that is not committed yet. A broker that
refuses the message is the caller's to record: its run would otherwise wait for a worker that
never comes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import current_app
from django.db import transaction


def send_on_commit(
    task_name: str,
    *,
    kwargs: dict[str, Any],
    on_refused: Callable[[Exception], Exception],
    on_sent: Callable[[str], None] | None = None,
    countdown: float | None = None,
) -> None:
    """Send `task_name` with `kwargs` (after `countdown` seconds) once the transaction commits.

    When the broker refuses it, `on_refused(error)` records what that means and returns the error
    to raise instead (raised from the broker's, out of the commit). `on_sent(task_id)` gets the
    Celery task id of a message the broker took.
    """

    def send() -> None:
        try:
            result = current_app.send_task(task_name, kwargs=kwargs, countdown=countdown)
        except Exception as error:
            raise on_refused(error) from error
        if on_sent is not None:
            on_sent(result.id)

    transaction.on_commit(send)

"""Core tasks: the scheduler heartbeat and the daily cleanup of task results."""

import socket

from apps.core import services, task_names
from tasks.celery_app import app


@app.task(name=task_names.HEARTBEAT, soft_time_limit=20, time_limit=30, ignore_result=True)
def heartbeat() -> None:
    services.heartbeat_record_ran(hostname=socket.gethostname())


@app.task(name=task_names.CLEANUP_TASK_RESULTS, soft_time_limit=540, time_limit=600)
def cleanup_task_results() -> int:
    return services.task_results_cleanup()

"""Audit tasks (queue `default`): the daily cleanup of events past the retention."""

from apps.audit import services, task_names
from tasks.celery_app import app


@app.task(name=task_names.CLEANUP, soft_time_limit=540, time_limit=600, ignore_result=True)
def cleanup_events() -> int:
    return services.audit_events_cleanup()

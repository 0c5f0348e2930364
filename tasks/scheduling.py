"""Scheduling tasks (queue `default`): the daily cleanup of workers long gone."""

from apps.scheduling import services, task_names
from tasks.celery_app import app


@app.task(name=task_names.CLEANUP_WORKERS, soft_time_limit=120, time_limit=180, ignore_result=True)
def cleanup_workers() -> int:
    return services.workers_cleanup()

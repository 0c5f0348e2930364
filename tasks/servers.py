"""Server inventory tasks (queue `sync`)."""

from django.conf import settings

from apps.core.db_connections import RETRY_ON_LOST_CONNECTION
from apps.servers import services, task_names
from tasks.celery_app import app


@app.task(name=task_names.SERVER_SYNC, soft_time_limit=50, time_limit=60, ignore_result=True)
def server_sync() -> list[int]:
    """Beat, every 5 minutes: queue one sync run per enabled provider account."""
    return services.server_sync_all()


@app.task(
    name=task_names.SYNC_ACCOUNT,
    soft_time_limit=settings.SERVER_SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.SERVER_SYNC_TIME_LIMIT,
    # A database connection lost mid-run leaves the run running: the same run is tried again.
    **RETRY_ON_LOST_CONNECTION,
)
def sync_account(*, sync_run_id: int) -> str | None:
    run = services.server_sync_run(sync_run_id=sync_run_id)
    return run.status if run else None

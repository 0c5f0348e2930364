"""Project tasks: GitHub organization sync and docs indexing (queue `sync`)."""

from django.conf import settings

from apps.core.db_connections import RETRY_ON_LOST_CONNECTION
from apps.projects import services, task_names
from tasks.celery_app import app


@app.task(name=task_names.GITHUB_SYNC, soft_time_limit=50, time_limit=60, ignore_result=True)
def github_sync() -> list[int]:
    """Beat, every 5 minutes: queue one sync run per enabled GitHub account."""
    return services.github_sync_all()


@app.task(
    name=task_names.SYNC_ACCOUNT,
    soft_time_limit=settings.GITHUB_SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.GITHUB_SYNC_TIME_LIMIT,
    # A database connection lost mid-run leaves the run running: the same run is tried again.
    **RETRY_ON_LOST_CONNECTION,
)
def sync_account(*, sync_run_id: int) -> str | None:
    run = services.github_sync_run(sync_run_id=sync_run_id)
    return run.status if run else None


@app.task(name=task_names.DOCS_INDEX, soft_time_limit=50, time_limit=60, ignore_result=True)
def docs_index() -> list[int]:
    """Beat, every 10 minutes: queue one docs indexing run per enabled GitHub account."""
    return services.docs_index_all()


@app.task(
    name=task_names.DOCS_INDEX_ACCOUNT,
    soft_time_limit=settings.DOCS_INDEX_SOFT_TIME_LIMIT,
    time_limit=settings.DOCS_INDEX_TIME_LIMIT,
    **RETRY_ON_LOST_CONNECTION,
)
def docs_index_account(*, sync_run_id: int) -> str | None:
    run = services.docs_index_run(sync_run_id=sync_run_id)
    return run.status if run else None

"""Health monitoring tasks (queue `health`)."""

from django.conf import settings

from apps.monitoring import services, task_names
from tasks.celery_app import app


@app.task(name=task_names.HEALTH_CHECKER, soft_time_limit=50, time_limit=60, ignore_result=True)
def health_checker() -> dict[str, int]:
    """Beat, every 2 minutes: queue checks of every server that should be up, in batches."""
    return services.health_checker_run()


@app.task(name=task_names.CHECK_BATCH, soft_time_limit=240, time_limit=300, ignore_result=True)
def check_batch(*, server_ids: list[int]) -> int:
    # Idempotent enough to redeliver: a second run records one more check of the same servers.
    return len(services.health_check_batch(server_ids=server_ids))


@app.task(name=task_names.CLEANUP_HEALTH_CHECKS, soft_time_limit=540, time_limit=600, ignore_result=True)
def cleanup_health_checks() -> int:
    return services.health_checks_cleanup()


@app.task(
    name=task_names.DELIVER_NOTIFICATION,
    autoretry_for=(services.DeliveryRetry,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.NOTIFY_MAX_ATTEMPTS,
    soft_time_limit=50,
    time_limit=60,
    ignore_result=True,
)
def deliver_notification(*, notification_id: int) -> None:
    services.notification_deliver(notification_id=notification_id)


@app.task(name=task_names.RENOTIFY, soft_time_limit=50, time_limit=60, ignore_result=True)
def renotify() -> int:
    return services.notifications_remind()

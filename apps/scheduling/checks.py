"""System checks of the settings the worker listing relies on."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.compatibility)
def check_worker_heartbeat_settings(app_configs=None, **kwargs):
    errors = []
    if settings.WORKER_HEARTBEAT_SECONDS < 1:
        errors.append(Error("WORKER_HEARTBEAT_SECONDS must be 1 or more", id="scheduling.E001"))
    if settings.WORKER_OFFLINE_AFTER_SECONDS <= settings.WORKER_HEARTBEAT_SECONDS:
        errors.append(
            Error(
                "WORKER_OFFLINE_AFTER_SECONDS must exceed WORKER_HEARTBEAT_SECONDS",
                hint="A worker is shown offline once its last heartbeat is older than this bound: at or "
                "below the interval, every worker would blink offline between two heartbeats (three "
                "intervals is a good bound).",
                id="scheduling.E002",
            )
        )
    return errors

"""Writes of the monitoring domain. Views, admin actions and tasks call these, nothing else."""

from apps.monitoring.services.channels import channel_problems, channel_send_test
from apps.monitoring.services.checks import (
    health_check_batch,
    health_check_candidates,
    health_check_now,
    health_check_queue,
    health_checker_run,
    health_checks_cleanup,
)
from apps.monitoring.services.host_keys import server_host_key_accept
from apps.monitoring.services.incidents import (
    Problem,
    incident_acknowledge,
    incident_resolve,
    incidents_apply,
    incidents_close,
)
from apps.monitoring.services.notifications import (
    DeliveryRetry,
    notification_deliver,
    notifications_announce,
    notifications_queue,
    notifications_remind,
)

__all__ = [
    "DeliveryRetry",
    "Problem",
    "channel_problems",
    "channel_send_test",
    "health_check_batch",
    "health_check_candidates",
    "health_check_now",
    "health_check_queue",
    "health_checker_run",
    "health_checks_cleanup",
    "incident_acknowledge",
    "incident_resolve",
    "incidents_apply",
    "incidents_close",
    "notification_deliver",
    "notifications_announce",
    "notifications_queue",
    "notifications_remind",
    "server_host_key_accept",
]

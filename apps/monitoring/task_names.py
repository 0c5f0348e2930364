"""Stable names of the monitoring tasks (routed to the `health` queue by the `monitoring.*` route)."""

HEALTH_CHECKER = "monitoring.health_checker"  # beat: every 2 minutes, fans out in batches
CHECK_BATCH = "monitoring.check_batch"
CLEANUP_HEALTH_CHECKS = "monitoring.cleanup_health_checks"
DELIVER_NOTIFICATION = "monitoring.deliver_notification"
RENOTIFY = "monitoring.renotify"  # beat: incidents still open and unacknowledged

from django.db import models


class CheckOutcome(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded"  # reachable, but a disk, memory or Docker problem
    UNREACHABLE = "unreachable", "Unreachable"
    AUTH_FAILED = "auth_failed", "Authentication failed"
    HOST_KEY_MISMATCH = "host_key_mismatch", "Host key mismatch"
    ERROR = "error", "Error"


class IncidentKind(models.TextChoices):
    UNREACHABLE = "unreachable", "Unreachable"
    AUTH_FAILED = "auth_failed", "Authentication failed"
    HOST_KEY_MISMATCH = "host_key_mismatch", "Host key mismatch"
    DISK_WARNING = "disk_warning", "Disk usage high"
    DISK_CRITICAL = "disk_critical", "Disk usage critical"
    MEMORY_WARNING = "memory_warning", "Memory pressure high"
    MEMORY_CRITICAL = "memory_critical", "Memory pressure critical"
    DOCKER_DOWN = "docker_down", "Docker down"
    PROVISIONING_FAILED = "provisioning_failed", "Provisioning failed"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


ACTIVE_INCIDENT_STATUSES = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook (HMAC-SHA256 signed)"
    TELEGRAM = "telegram", "Telegram"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class IncidentEventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    REMINDER = "reminder", "Still open"
    ANNOUNCEMENT = "announcement", "Announcement"

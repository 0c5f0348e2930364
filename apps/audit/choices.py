from django.db import models


class AuditAction(models.TextChoices):
    SYNC_QUEUE = "sync.queue", "Sync queued"
    # A sync run finished, whatever started it; the outcome is its result.
    SYNC_RUN = "sync.run", "Sync run finished"
    HEALTH_CHECK_QUEUE = "health_check.queue", "Health checks queued"
    # One event per scheduled sweep, with counts: never one per server.
    HEALTH_CHECK_RUN = "health_check.run", "Health check sweep"
    PERIODIC_TASK_RUN = "periodic_task.run_now", "Periodic task run now"
    PROVISION = "provisioning.provision", "Provision requested"
    RUN_PLAYBOOK = "provisioning.run_playbook", "Playbook run requested"
    RUN_RETRY = "provisioning.retry", "Provisioning run retried"
    RUN_CANCEL = "provisioning.cancel", "Provisioning run canceled"
    RUN_FINISH = "provisioning.finish", "Provisioning run finished"
    JOB_LAUNCH = "job.launch", "Job launched"
    JOB_CANCEL = "job.cancel", "Job canceled"
    JOB_FINISH = "job.finish", "Job finished"
    JOB_SCHEDULE_SKIP = "job.schedule_skip", "Scheduled job skipped"
    INCIDENT_ACKNOWLEDGE = "incident.acknowledge", "Incident acknowledged"
    INCIDENT_RESOLVE = "incident.resolve", "Incident resolved"
    HOST_KEY_ACCEPT = "host_key.accept", "Host key accepted"
    ROOT_PASSWORD_REVEAL = "root_password.reveal", "Root password revealed"
    TOKEN_CREATE = "token.create", "API token created"
    TOKEN_REVOKE = "token.revoke", "API token revoked"
    LOGIN = "auth.login", "Signed in"
    LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
    RECORD_CREATE = "record.create", "Record created"
    RECORD_UPDATE = "record.update", "Record changed"
    RECORD_DELETE = "record.delete", "Record deleted"
    # A tool called through the MCP server or the admin's assistant: which tool, its arguments
    # (secrets removed), how it ended; the service it called records its own action besides.
    MCP_TOOL_CALL = "mcp.tool_call", "MCP tool called"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class ActorKind(models.TextChoices):
    USER = "user", "User"
    SCHEDULE = "schedule", "Schedule"
    SYSTEM = "system", "System"

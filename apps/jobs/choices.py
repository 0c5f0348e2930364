from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_JOB_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class LaunchedBy(models.TextChoices):
    USER = "user", "A user"
    SCHEDULE = "schedule", "A schedule"
    RELAUNCH = "relaunch", "A relaunch"


class HostStatus(models.TextChoices):
    # Waiting for the playbook's recap (or the job ended before it: a canceled or lost job).
    PENDING = "pending", "Pending"
    OK = "ok", "OK"
    CHANGED = "changed", "Changed"
    FAILED = "failed", "Failed"
    UNREACHABLE = "unreachable", "Unreachable"
    # Nothing ran there: every task was skipped, or the platform did not run the job there (the
    # host's `reason` says why: no pinned host key, the platform's own machine...).
    SKIPPED = "skipped", "Skipped"


# The hosts a relaunch with {"hosts": "failed"} runs again.
HOSTS_TO_RELAUNCH = (HostStatus.FAILED, HostStatus.UNREACHABLE, HostStatus.PENDING)


class NotifyOn(models.TextChoices):
    NEVER = "never", "Never"
    FAILURE = "failure", "When a job fails"
    SUCCESS = "success", "When a job succeeds"
    ALWAYS = "always", "When a job ends"


class RelaunchHosts(models.TextChoices):
    ALL = "all", "All hosts of the job"
    FAILED = "failed", "The hosts that failed, were unreachable or did not finish"

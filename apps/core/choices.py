from django.db import models


class SyncKind(models.TextChoices):
    SERVER_SYNC = "server_sync", "Server sync"
    GITHUB_SYNC = "github_sync", "GitHub sync"
    DOCS_INDEX = "docs_index", "Docs indexing"


class SyncStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# A run in one of these states will not change any more.
FINISHED_SYNC_STATUSES = (SyncStatus.SUCCEEDED, SyncStatus.FAILED)


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    OPERATOR = "operator", "Operator (admin)"
    API = "api", "API"

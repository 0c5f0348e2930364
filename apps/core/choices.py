from django.db import models


class SyncKind(models.TextChoices):
    SERVER_SYNC = "server_sync", "Server sync"
    GITHUB_SYNC = "github_sync", "GitHub sync"
    DOCS_INDEX = "docs_index", "Docs indexing"


class SyncAccountType(models.TextChoices):
    """The accounts a sync reads from, as `app_label.model` (the API's and the audit trail's names)."""

    PROVIDER_ACCOUNT = "servers.provideraccount", "Provider account"
    GITHUB_ACCOUNT = "projects.githubaccount", "GitHub account"


# The account type each kind of sync reads from.
SYNC_KIND_ACCOUNT_TYPE = {
    SyncKind.SERVER_SYNC: SyncAccountType.PROVIDER_ACCOUNT,
    SyncKind.GITHUB_SYNC: SyncAccountType.GITHUB_ACCOUNT,
    SyncKind.DOCS_INDEX: SyncAccountType.GITHUB_ACCOUNT,
}


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

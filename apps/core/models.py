from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from apps.core.choices import SyncKind, SyncStatus, Trigger


class Heartbeat(models.Model):
    """One row: when beat last sent the heartbeat task, and when a worker last ran it.

    The gap between the two says whether the scheduling path (beat -> broker -> worker) is
    alive; /health/ready and the admin show both.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    beat_sent_at = models.DateTimeField(null=True, blank=True)
    worker_ran_at = models.DateTimeField(null=True, blank=True)
    worker_hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="core_heartbeat_singleton")]

    def __str__(self) -> str:
        return "Scheduler heartbeat"


class SyncedAccount(models.Model):
    """An account that a periodic sync reads from (a provider account, a GitHub account).

    Holds the outcome of its last sync, and the sync lease: a lease, not a lock, so a crashed
    worker's claim simply runs out (apps/syncs/leases.py).
    """

    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_status = models.CharField(max_length=16, blank=True)  # a SyncStatus value, blank before any
    last_sync_error = models.TextField(blank=True)
    last_successful_sync_at = models.DateTimeField(null=True, blank=True)
    sync_lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    sync_lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class SyncRun(models.Model):
    """One sync of one account (a provider account, a GitHub account): the run record the
    admin and the API show, shared by every kind of sync.

    The account is referenced generically so each domain keeps its own account model;
    `account_name` keeps the run readable after the account is deleted.

    The code that runs syncs lives in apps/syncs; the model stays here because its app label
    names its permissions (`core.view_syncrun`, `core.run_periodic_task`) and its admin pages
    (`/admin/core/syncrun/`), which moving it would rename.
    """

    kind = models.CharField(max_length=32, choices=SyncKind.choices)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    account_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    account_id = models.PositiveBigIntegerField()
    account = GenericForeignKey("account_type", "account_id")
    account_name = models.CharField(max_length=200)
    celery_task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        permissions = [("run_periodic_task", "Can run a periodic task now")]
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account_type", "account_id", "-created_at"], name="core_syncrun_account_idx"),
            models.Index(fields=["status", "-created_at"], name="core_syncrun_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} of {self.account_name} ({self.status})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class BeatLease(models.Model):
    """One row: which beat process may send periodic tasks, and until when.

    Every beat process ticks, but only the holder of a live lease sends (apps/core/beat.py), so
    a second beat is a standby, not a second sender. A lease, not a lock: a holder that dies
    simply stops renewing it, and a standby takes it once `expires_at` has passed. Times are
    the database's clock, so beats on different hosts compare the same clock.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    holder = models.CharField(max_length=255, blank=True)  # "<host>:<pid>:<random>" of one beat process
    acquired_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="core_beatlease_singleton")]

    def __str__(self) -> str:
        return f"Beat lease held by {self.holder or 'nobody'}"

"""Provisioning runs: what was asked, each phase's record, Ansible's output.

A run's row is the truth a phase task reads before acting, so a redelivered or resumed task
continues where the run stood. `token` fences the tasks of a run: every (re)dispatch bumps it,
and a task carrying an older token does nothing.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.provisioning.choices import ACTIVE_RUN_STATUSES, Phase, PhaseStatus, RunKind, RunRootPassword, RunStatus
from apps.servers.choices import Lifecycle
from apps.servers.models import Server


class ProvisioningRun(models.Model):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="provisioning_runs")
    kind = models.CharField(max_length=16, choices=RunKind.choices, default=RunKind.PROVISION)
    os_template = models.CharField("OS template", max_length=128, blank=True, help_text="Blank for playbook-only runs.")
    playbook = models.CharField(max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    phase = models.CharField(max_length=16, choices=Phase.choices, help_text="The phase running or next to run.")
    token = models.PositiveIntegerField(default=1, editable=False)
    error = models.TextField(blank=True)
    # The server's lifecycle when the run was asked for (a run canceled before the reinstall restores it).
    lifecycle_before = models.CharField(max_length=16, choices=Lifecycle.choices, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    canceled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # {"host": {"ok": n, "changed": n, "failed": n, "unreachable": n, "skipped": n, ...}}
    stats = models.JSONField(default=dict, blank=True)
    # The last ansible-playbook started for this run ({"host", "pgid", "start"}: the machine, its
    # process group and that process's start time), stopped before the phase runs again.
    ansible_process = models.JSONField(null=True, blank=True, editable=False)
    # While a phase's step runs, the process running it holds the run ("host:pid:start") under a
    # lease it renews (heartbeat_at: the last renewal); a run whose lease ran out, or whose holder's
    # process on its machine ended, is resumed (services/trigger.py). Blank between two tasks.
    lease_holder = models.CharField(max_length=200, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The last resort: a run whose phase has not started by then (a task the broker lost) is resumed.
    stalled_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("run_provisioning", "Can provision servers, run playbooks, retry and cancel runs")]
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["server"],
                condition=Q(status__in=ACTIVE_RUN_STATUSES),
                name="provisioning_one_active_run_per_server",
            ),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="provisioning_run_status_valid"),
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="provisioning_run_phase_valid"),
            models.CheckConstraint(condition=Q(kind__in=RunKind.values), name="provisioning_run_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "stalled_after"]),
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["finished_at"]),
        ]

    def __str__(self) -> str:
        return f"run #{self.pk} of {self.server} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def root_password_outcome(self) -> RunRootPassword:
        """What the run did to the server's root password, from what its phases recorded (the
        last word wins: a reinstall's unknown password is stored again by finalize's reset)."""
        outcome = RunRootPassword.UNCHANGED
        for phase in sorted(self.phases.all(), key=lambda record: record.position):
            detail = phase.detail if isinstance(phase.detail, dict) else {}
            if detail.get("password_unknown"):
                outcome = RunRootPassword.UNKNOWN
            if detail.get("password_stored") or detail.get("password_reset"):
                outcome = RunRootPassword.STORED
        return outcome


class ProvisioningPhase(models.Model):
    """One phase of one run: when it ran, how many attempts, what it recorded at the provider."""

    run = models.ForeignKey(ProvisioningRun, on_delete=models.CASCADE, related_name="phases")
    phase = models.CharField(max_length=16, choices=Phase.choices)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=PhaseStatus.choices, default=PhaseStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Provider actions: when the platform decided to ask (recorded before asking), the task id the
    # provider answered, and when the task was seen complete.
    intent_at = models.DateTimeField(null=True, blank=True)
    provider_task_id = models.BigIntegerField(null=True, blank=True)
    provider_task_completed_at = models.DateTimeField(null=True, blank=True)
    # Polling: how many polls so far, and when waiting gives up.
    polls = models.PositiveIntegerField(default=0)
    deadline_at = models.DateTimeField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "phase"], name="provisioning_phase_once_per_run"),
            models.CheckConstraint(condition=Q(status__in=PhaseStatus.values), name="provisioning_phase_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} ({self.status})"


class ProvisioningEvent(models.Model):
    """One Ansible event of a run, in order (`seq` continues across attempts of the phase)."""

    run = models.ForeignKey(ProvisioningRun, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    attempt = models.PositiveSmallIntegerField(default=1)
    event = models.CharField(max_length=64)
    host = models.CharField(max_length=255, blank=True)
    task = models.CharField(max_length=500, blank=True)
    stdout = models.TextField(blank=True)
    failed = models.BooleanField(default=False)
    changed = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="provisioning_event_seq_once")]

    def __str__(self) -> str:
        return f"{self.seq} {self.event}"

"""The sandbox provider's own rows: fake Time4VPS servers and the tasks run on them.

Development and test only (SANDBOX_ENABLED); nothing else in the platform reads these tables.
The platform's Time4VPS client sees them only through the sandbox's HTTP API.
"""

from django.db import models


class SandboxServer(models.Model):
    """One fake VPS, as Time4VPS describes it (sizes in MB, CPU frequency in MHz per core)."""

    class Status(models.TextChoices):
        ACTIVE = "Active", "Active"
        SUSPENDED = "Suspended", "Suspended"

    server_id = models.PositiveIntegerField(unique=True)
    package_id = models.PositiveIntegerField()
    domain = models.CharField(max_length=255)
    label = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(protocol="IPv4")
    additional_ips = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    os = models.CharField(max_length=64)
    cpu_frequency = models.PositiveIntegerField(help_text="MHz")
    cpu_cores = models.PositiveSmallIntegerField()
    ram_limit = models.PositiveIntegerField(help_text="MB")
    ram_used = models.PositiveIntegerField(help_text="MB")
    disk_limit = models.PositiveIntegerField(help_text="MB")
    disk_usage = models.PositiveIntegerField(help_text="MB")
    bw_limit = models.PositiveBigIntegerField(help_text="MB")
    bw_in = models.PositiveBigIntegerField(help_text="MB")
    bw_out = models.PositiveBigIntegerField(help_text="MB")
    date_created = models.DateField()
    synch_date = models.DateTimeField()
    # The task the server is busy with; null when idle. Every unfinished task is one of these.
    active_task = models.ForeignKey("SandboxTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["server_id"]

    def __str__(self) -> str:
        return f"{self.server_id} {self.domain}"


class SandboxTask(models.Model):
    """An action on a server; it completes SANDBOX_TASK_SECONDS after activation, when read."""

    class Name(models.TextChoices):
        REBOOT = "server_reboot", "Reboot"
        RESET_PASSWORD = "server_reset_password", "Reset password"
        RECREATE = "server_recreate", "Reinstall"

    task_id = models.BigAutoField(primary_key=True)
    server = models.ForeignKey(SandboxServer, on_delete=models.CASCADE, related_name="tasks")
    name = models.CharField(max_length=32, choices=Name.choices)
    # The template a reinstall installs; blank for other tasks.
    os = models.CharField(max_length=64, blank=True)
    activated = models.DateTimeField()
    assigned = models.DateTimeField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    # "Password: <new password>" for a finished reset or reinstall: the only place it is kept.
    results = models.TextField(blank=True)

    class Meta:
        ordering = ["-task_id"]
        indexes = [models.Index(fields=["server", "name", "-task_id"], name="sandbox_task_server_name")]

    def __str__(self) -> str:
        return f"{self.name} #{self.task_id}"

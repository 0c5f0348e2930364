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


# --- The sandbox GitHub (apps/sandbox/github) ---------------------------------------------------


class SandboxRepository(models.Model):
    """One fake GitHub repository of a sandbox organization; its files are SandboxRepoFile rows.

    Seeded repository n of an organization always gets the same id, name and files. A removed
    repository keeps its row (`removed_at`) so that seeding never brings it back.
    """

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        PRIVATE = "private", "Private"
        INTERNAL = "internal", "Internal"

    github_id = models.BigIntegerField(unique=True)
    organization = models.CharField(max_length=100)
    seed_number = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    # Names it had before renames: GET /repos/{org}/{old name}/... answers 301 to /repositories/{id}/...
    former_names = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    topics = models.JSONField(default=list, blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC)
    fork = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    default_branch = models.CharField(max_length=100, default="main")
    created_at = models.DateTimeField()
    pushed_at = models.DateTimeField(null=True, blank=True)
    head_sha = models.CharField(max_length=40)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["github_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "seed_number"], name="sandbox_repo_org_seed"),
            models.UniqueConstraint(
                fields=["organization", "name"],
                condition=models.Q(removed_at__isnull=True),
                name="sandbox_repo_org_live_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization}/{self.name}"


class SandboxRepoFile(models.Model):
    """A file of a sandbox repository at its head commit; `sha` is its git blob SHA-1."""

    repository = models.ForeignKey(SandboxRepository, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=500)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha = models.CharField(max_length=40)

    class Meta:
        ordering = ["repository", "path"]
        constraints = [models.UniqueConstraint(fields=["repository", "path"], name="sandbox_repo_file_path")]
        indexes = [models.Index(fields=["repository", "sha"], name="sandbox_repo_file_sha")]

    def __str__(self) -> str:
        return self.path


class SandboxGitHubFault(models.Model):
    """A canned answer the sandbox GitHub gives instead of the real one (tests, development).

    Matches requests by method ("" = any) and a glob on the API path (e.g. "/orgs/*/repos"),
    `times` more times (null: until cleared). With `rate_limit_reset` the answer carries
    X-RateLimit-Remaining 0 and that reset time.
    """

    method = models.CharField(max_length=8, blank=True)
    path_glob = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    times = models.PositiveIntegerField(null=True, blank=True)
    rate_limit_reset = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.method or '*'} {self.path_glob} -> {self.status}"


class SandboxGitHubRateWindow(models.Model):
    """Requests counted against the sandbox GitHub's rate limit in one clock hour (shared by all processes)."""

    window_start = models.BigIntegerField(unique=True, help_text="epoch seconds")
    used = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.window_start}: {self.used}"


class SandboxGitHubRequestCount(models.Model):
    """How many requests the sandbox GitHub received per method and API path (tests read it)."""

    method = models.CharField(max_length=8)
    path = models.CharField(max_length=1000)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["method", "path"], name="sandbox_github_request_path")]

    def __str__(self) -> str:
        return f"{self.method} {self.path}: {self.count}"

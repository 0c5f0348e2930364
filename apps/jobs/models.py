"""Jobs: a template (a playbook, its source, its targets, its variables) and each launch of it.

A job's row is the truth its task reads before acting, as a provisioning run's is: `token` fences
the job's task (a re-sent task carries a new one, and a task carrying an older token does
nothing), and while the playbook runs the worker holds the job under a lease it renews.
What a template said at launch is copied onto the job, so editing a template never rewrites
history and a relaunch runs what the job ran.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_celery_beat.models import PeriodicTask

from apps.core.fields import EncryptedTextField, SecretsDeferredManager
from apps.jobs.choices import HostStatus, JobStatus, LaunchedBy, NotifyOn
from apps.projects.models import Project
from apps.servers.models import Server

DEFAULT_FORKS = 5
MAX_FORKS = 200


class JobTemplate(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # The source: blank project = the platform's playbook directory (ANSIBLE_PLAYBOOK_DIR); else
    # the project's repository at `ref` (a branch, tag or commit; blank = its default branch).
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT, related_name="job_templates")
    ref = models.CharField(max_length=255, blank=True)
    playbook = models.CharField(max_length=500, help_text="A playbook file of the source, e.g. site.yml.")
    # {"servers": [ids]} or {"labels": {...}, "lifecycle": [...], "provider_account": id}
    target = models.JSONField(default=dict)
    extra_vars = models.JSONField(default=dict, blank=True)
    # A JSON Schema for launch-time extra vars; properties with "writeOnly": true are secret.
    survey = models.JSONField(null=True, blank=True)
    forks = models.PositiveSmallIntegerField(default=DEFAULT_FORKS)
    timeout_seconds = models.PositiveIntegerField(default=1800)
    notify_on = models.CharField(max_length=8, choices=NotifyOn.choices, default=NotifyOn.FAILURE)
    allow_concurrent = models.BooleanField(
        default=True, help_text="Off: a launch while a job of this template is active is refused."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("launch_jobtemplate", "Can launch, cancel and relaunch jobs")]
        constraints = [
            models.CheckConstraint(condition=Q(notify_on__in=NotifyOn.values), name="jobs_template_notify_on_valid"),
            models.CheckConstraint(
                condition=Q(forks__gte=1) & Q(forks__lte=MAX_FORKS), name="jobs_template_forks_bounded"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class JobSchedule(models.Model):
    """An operator's schedule of a template: a django-celery-beat row (interval or crontab with a
    time zone) behind the beat lease, so each due time launches one job with any number of beats."""

    template = models.ForeignKey(JobTemplate, on_delete=models.CASCADE, related_name="schedules")
    periodic_task = models.OneToOneField(PeriodicTask, on_delete=models.PROTECT, related_name="job_schedule")
    extra_vars = models.JSONField(default=dict, blank=True)
    last_job = models.ForeignKey("Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_skipped_at = models.DateTimeField(null=True, blank=True)
    last_skip_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "id"]

    def __str__(self) -> str:
        return self.periodic_task.name


class Job(models.Model):
    template = models.ForeignKey(JobTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    name = models.CharField(max_length=100, help_text="The template's name at launch.")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ref = models.CharField(max_length=255, blank=True)
    commit = models.CharField(max_length=40, blank=True, help_text="The commit the ref resolved to at launch.")
    playbook = models.CharField(max_length=500)
    extra_vars = models.JSONField(default=dict, blank=True)
    # The survey's secret answers ({"name": value} as JSON), never shown, logged or echoed.
    secret_vars = EncryptedTextField(null=True, blank=True)
    forks = models.PositiveSmallIntegerField(default=DEFAULT_FORKS)
    timeout_seconds = models.PositiveIntegerField(default=1800)
    notify_on = models.CharField(max_length=8, choices=NotifyOn.choices, default=NotifyOn.FAILURE)
    launched_by = models.CharField(max_length=8, choices=LaunchedBy.choices, default=LaunchedBy.USER)
    launched_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schedule = models.ForeignKey(JobSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    relaunch_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A scheduled launch's Celery task id: a redelivered launch message finds its job, makes no second.
    dispatch_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    token = models.PositiveIntegerField(default=1, editable=False)
    error = models.TextField(blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    canceled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # As a provisioning run's: the ansible-playbook started ({"host", "pgid", "start"}), the
    # process holding the job under a lease, and when a job nobody holds is sent again.
    ansible_process = models.JSONField(null=True, blank=True, editable=False)
    lease_holder = models.CharField(max_length=200, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    stalled_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SecretsDeferredManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="jobs_job_status_valid"),
            models.CheckConstraint(condition=Q(launched_by__in=LaunchedBy.values), name="jobs_job_launched_by_valid"),
            models.CheckConstraint(condition=Q(notify_on__in=NotifyOn.values), name="jobs_job_notify_on_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"]),
            models.Index(fields=["status", "stalled_after"]),
            models.Index(fields=["template", "status"]),
            models.Index(fields=["finished_at"]),
        ]

    def __str__(self) -> str:
        return f"job #{self.pk} {self.name} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobHost(models.Model):
    """One host of a job's inventory and its result (from the playbook's recap)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="hosts")
    server = models.ForeignKey(Server, null=True, blank=True, on_delete=models.SET_NULL, related_name="job_hosts")
    name = models.CharField(max_length=255, help_text="The server's name at launch.")
    alias = models.CharField(max_length=255, help_text="Its name in the job's inventory and output.")
    status = models.CharField(max_length=16, choices=HostStatus.choices, default=HostStatus.PENDING)
    reason = models.TextField(blank=True, help_text="Why the platform did not run the job there.")
    ok = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    unreachable = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    rescued = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["job", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["job", "alias"], name="jobs_host_alias_once_per_job"),
            models.CheckConstraint(condition=Q(status__in=HostStatus.values), name="jobs_host_status_valid"),
        ]
        indexes = [models.Index(fields=["server", "job"])]

    def __str__(self) -> str:
        return f"{self.alias} ({self.status})"


class JobEvent(models.Model):
    """One Ansible event of a job, in order: the same shape as a provisioning run's events."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    event = models.CharField(max_length=64)
    host = models.CharField(max_length=255, blank=True)
    task = models.CharField(max_length=500, blank=True)
    stdout = models.TextField(blank=True)
    failed = models.BooleanField(default=False)
    changed = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="jobs_event_seq_once")]

    def __str__(self) -> str:
        return f"{self.seq} {self.event}"

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.jobs.choices import HostStatus, JobStatus, LaunchedBy, NotifyOn, RelaunchHosts
from apps.jobs.models import MAX_FORKS, Job, JobEvent, JobHost, JobSchedule, JobTemplate
from apps.jobs.services import schedule_next_run_at, schedule_timing
from apps.jobs.services.scheduling import MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS
from apps.projects.models import Project

ID_BOUNDS = {"min_value": 1, "max_value": 2**63 - 1}


class SourceSerializer(serializers.Serializer):
    project = serializers.IntegerField(
        allow_null=True, required=False, **ID_BOUNDS, help_text="A synced project's id; null: the platform's playbooks."
    )
    ref = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text="Branch, tag or commit; blank: the default branch."
    )

    def validate_project(self, value: int | None) -> Project | None:
        if value is None:
            return None
        project = Project.objects.filter(pk=value).first()
        if project is None:
            raise serializers.ValidationError(f"no project with id {value}")
        return project


class SourceOutputSerializer(serializers.Serializer):
    """A template's or a job's source, read from the record itself (`source="*"`)."""

    kind = serializers.ChoiceField(choices=["platform", "project"])
    project = serializers.IntegerField(allow_null=True)
    project_full_name = serializers.CharField(allow_null=True)
    ref = serializers.CharField()

    def to_representation(self, record) -> dict:
        project = record.project
        return {
            "kind": "project" if project else "platform",
            "project": project.pk if project else None,
            "project_full_name": project.full_name if project else None,
            "ref": record.ref,
        }


class JobTemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    source = SourceSerializer(required=False)
    playbook = serializers.CharField(max_length=500)
    target = serializers.JSONField(
        help_text='{"servers": [ids]} or {"labels": {"role": "web"}, "lifecycle": ["ready"], "provider_account": id}'
    )
    extra_vars = serializers.JSONField(required=False)
    survey = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='A JSON Schema of launch-time vars; "writeOnly": true marks a secret.',
    )
    forks = serializers.IntegerField(required=False, min_value=1, max_value=MAX_FORKS)
    timeout_seconds = serializers.IntegerField(required=False, min_value=1, max_value=settings.JOBS_MAX_TIMEOUT_SECONDS)
    notify_on = serializers.ChoiceField(choices=NotifyOn.choices, required=False)
    allow_concurrent = serializers.BooleanField(required=False)

    def validate_name(self, value: str) -> str:
        taken = JobTemplate.objects.filter(name=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError(f"a template named {value!r} exists")
        return value


class JobTemplateOutputSerializer(serializers.ModelSerializer):
    source = SourceOutputSerializer(source="*", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = JobTemplate
        fields = [
            "id",
            "name",
            "description",
            "source",
            "playbook",
            "target",
            "extra_vars",
            "survey",
            "forks",
            "timeout_seconds",
            "notify_on",
            "allow_concurrent",
            "created_by",
            "created_at",
            "updated_at",
        ]


class LaunchInputSerializer(serializers.Serializer):
    extra_vars = serializers.JSONField(required=False, help_text="Launch-time vars (checked against the survey).")
    limit = serializers.ListField(
        child=serializers.IntegerField(**ID_BOUNDS),
        required=False,
        allow_empty=True,
        # Under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1000), which a form-encoded body counts.
        max_length=500,
        help_text="Server ids: a subset of the template's target (at most 500; narrow the target for more).",
    )


class JobQueuedOutputSerializer(serializers.Serializer):
    job_id = serializers.IntegerField()


class RelaunchInputSerializer(serializers.Serializer):
    hosts = serializers.ChoiceField(choices=RelaunchHosts.choices, default=RelaunchHosts.ALL)


class JobHostOutputSerializer(serializers.ModelSerializer):
    server = serializers.PrimaryKeyRelatedField(read_only=True)
    status = serializers.ChoiceField(choices=HostStatus.choices)

    class Meta:
        model = JobHost
        fields = [
            "server",
            "name",
            "alias",
            "status",
            "reason",
            "ok",
            "changed",
            "failed",
            "unreachable",
            "skipped",
            "rescued",
            "ignored",
        ]


class JobOutputSerializer(serializers.ModelSerializer):
    source = SourceOutputSerializer(source="*", read_only=True)
    status = serializers.ChoiceField(choices=JobStatus.choices)
    launched_by = serializers.ChoiceField(choices=LaunchedBy.choices)
    launched_by_user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    canceled_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    hosts = JobHostOutputSerializer(many=True, read_only=True)
    secret_vars = serializers.SerializerMethodField(help_text="The names of the secret vars; never their values.")

    class Meta:
        model = Job
        fields = [
            "id",
            "template",
            "name",
            "source",
            "commit",
            "playbook",
            "extra_vars",
            "secret_vars",
            "forks",
            "timeout_seconds",
            "status",
            "error",
            "launched_by",
            "launched_by_user",
            "schedule",
            "relaunch_of",
            "canceled_by",
            "hosts",
            "created_at",
            "started_at",
            "finished_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_secret_vars(self, job: Job) -> list[str]:
        survey = (job.template.survey if job.template else None) or {}
        properties = survey.get("properties") or {}
        return sorted(
            name for name, schema in properties.items() if isinstance(schema, dict) and schema.get("writeOnly")
        )


class JobEventOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobEvent
        fields = ["seq", "event", "host", "task", "stdout", "failed", "changed", "created_at"]


class JobEventPageOutputSerializer(serializers.Serializer):
    events = JobEventOutputSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Pass as ?after= to get the events that follow.")
    finished = serializers.BooleanField(help_text="The job has ended: no more events will come.")


class JobScheduleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    enabled = serializers.BooleanField(required=False, default=True)
    interval_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=MIN_INTERVAL_SECONDS, max_value=MAX_INTERVAL_SECONDS
    )
    crontab = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=200, help_text='"minute hour dom month dow"'
    )
    timezone = serializers.CharField(
        required=False, allow_null=True, max_length=63, help_text="For a crontab (IANA name)."
    )
    extra_vars = serializers.JSONField(required=False)


class LastJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    error = serializers.CharField()


class JobScheduleOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="periodic_task.name")
    enabled = serializers.BooleanField(source="periodic_task.enabled")
    interval_seconds = serializers.SerializerMethodField()
    crontab = serializers.SerializerMethodField()
    timezone = serializers.SerializerMethodField()
    next_run_at = serializers.SerializerMethodField()
    last_run_at = serializers.DateTimeField(source="periodic_task.last_run_at", allow_null=True)
    last_job = serializers.SerializerMethodField()

    class Meta:
        model = JobSchedule
        fields = [
            "id",
            "template",
            "name",
            "enabled",
            "interval_seconds",
            "crontab",
            "timezone",
            "extra_vars",
            "next_run_at",
            "last_run_at",
            "last_job",
            "last_skipped_at",
            "last_skip_reason",
            "created_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_interval_seconds(self, schedule: JobSchedule) -> int | None:
        return schedule_timing(schedule)["interval_seconds"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_crontab(self, schedule: JobSchedule) -> str | None:
        return schedule_timing(schedule)["crontab"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_timezone(self, schedule: JobSchedule) -> str | None:
        return schedule_timing(schedule)["timezone_name"]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_run_at(self, schedule: JobSchedule):
        value = schedule_next_run_at(schedule)
        return serializers.DateTimeField().to_representation(value) if value else None

    @extend_schema_field(LastJobSerializer(allow_null=True))
    def get_last_job(self, schedule: JobSchedule) -> dict | None:
        job = schedule.last_job
        return {"id": job.pk, "status": job.status, "error": job.error} if job else None

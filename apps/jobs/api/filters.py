import django_filters

from apps.jobs.choices import JobStatus, LaunchedBy
from apps.jobs.models import Job, JobSchedule, JobTemplate


class JobTemplateFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")

    class Meta:
        model = JobTemplate
        fields = ["project"]


class JobFilter(django_filters.FilterSet):
    template = django_filters.NumberFilter(field_name="template_id")
    status = django_filters.MultipleChoiceFilter(choices=JobStatus.choices)
    server = django_filters.NumberFilter(
        field_name="hosts__server_id", distinct=True, help_text="Jobs that ran (or skipped) this server."
    )
    launched_by = django_filters.ChoiceFilter(choices=LaunchedBy.choices)
    schedule = django_filters.NumberFilter(field_name="schedule_id")

    class Meta:
        model = Job
        fields = ["template", "status", "server", "launched_by", "schedule"]


class JobScheduleFilter(django_filters.FilterSet):
    template = django_filters.NumberFilter(field_name="template_id")
    enabled = django_filters.BooleanFilter(field_name="periodic_task__enabled")

    class Meta:
        model = JobSchedule
        fields = ["template", "enabled"]

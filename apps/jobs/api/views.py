from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.openapi import ErrorSerializer
from apps.core.api.query import query_input
from apps.jobs import selectors, services
from apps.jobs.api.filters import JobFilter, JobScheduleFilter, JobTemplateFilter
from apps.jobs.api.serializers import (
    JobEventOutputSerializer,
    JobEventPageOutputSerializer,
    JobOutputSerializer,
    JobQueuedOutputSerializer,
    JobScheduleInputSerializer,
    JobScheduleOutputSerializer,
    JobTemplateInputSerializer,
    JobTemplateOutputSerializer,
    LaunchInputSerializer,
    RelaunchInputSerializer,
)
from apps.jobs.models import Job, JobSchedule, JobTemplate
from apps.provisioning.api.serializers import EventQuerySerializer


def _queued(job: Job) -> Response:
    return Response(JobQueuedOutputSerializer({"job_id": job.pk}).data, status=status.HTTP_202_ACCEPTED)


def _template_values(data: dict, instance: JobTemplate | None = None) -> dict:
    """The input as the template's fields, the instance's current values under what was not given."""
    source = data.pop("source", None)
    values = {
        "project": instance.project if instance else None,
        "ref": instance.ref if instance else "",
        "playbook": instance.playbook if instance else None,
        "target": instance.target if instance else None,
        "extra_vars": instance.extra_vars if instance else {},
        "survey": instance.survey if instance else None,
    }
    if source is not None:
        values["project"] = source.get("project")
        values["ref"] = source.get("ref", "")
    values.update(data)
    return values


SCHEDULE_FIELDS = {"timezone": "timezone_name"}


def _schedule_values(data: dict) -> dict:
    return {SCHEDULE_FIELDS.get(name, name): value for name, value in data.items()}


@extend_schema_view(
    create=extend_schema(request=JobTemplateInputSerializer, responses={201: JobTemplateOutputSerializer}),
    partial_update=extend_schema(request=JobTemplateInputSerializer, responses=JobTemplateOutputSerializer),
)
class JobTemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Job templates: a playbook, its source, its targets and vars, launched now or on a schedule."""

    queryset = JobTemplate.objects.none()
    serializer_class = JobTemplateOutputSerializer
    filterset_class = JobTemplateFilter
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    permissions_by_action = {
        "launch": "jobs.launch_jobtemplate",
        "schedules": "jobs.view_jobschedule",
        "schedule_create": "jobs.add_jobschedule",
    }

    def get_queryset(self):
        return selectors.job_template_list()

    def create(self, request: Request) -> Response:
        data = JobTemplateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = services.template_check(_template_values(dict(data.validated_data)))
        template = JobTemplate.objects.create(**values, created_by=request.user)
        return Response(JobTemplateOutputSerializer(template).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        data = JobTemplateInputSerializer(template, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = services.template_check(_template_values(dict(data.validated_data), template))
        for name, value in values.items():
            setattr(template, name, value)
        template.save()
        return Response(JobTemplateOutputSerializer(template).data)

    def perform_destroy(self, template: JobTemplate) -> None:
        for schedule in template.schedules.all():
            services.schedule_delete(schedule=schedule)  # their beat rows with them
        template.delete()

    @extend_schema(
        request=LaunchInputSerializer,
        responses={
            202: JobQueuedOutputSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="A job is running and the template forbids concurrent jobs."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def launch(self, request: Request, pk: str | None = None) -> Response:
        """Launch a job of the template (optional `extra_vars` and `limit`): 202 with the job's id."""
        data = LaunchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.job_launch(
            template=self.get_object(),
            extra_vars=data.validated_data.get("extra_vars"),
            limit=data.validated_data.get("limit"),
            user=request.user,
        )
        return _queued(job)

    @extend_schema(responses=JobScheduleOutputSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def schedules(self, request: Request, pk: str | None = None) -> Response:
        """The template's schedules."""
        template = self.get_object()
        rows = selectors.job_schedule_list().filter(template=template)
        return Response(JobScheduleOutputSerializer(rows, many=True).data)

    @extend_schema(request=JobScheduleInputSerializer, responses={201: JobScheduleOutputSerializer})
    @schedules.mapping.post
    def schedule_create(self, request: Request, pk: str | None = None) -> Response:
        """Add a schedule: `interval_seconds`, or `crontab` with a `timezone`."""
        template = self.get_object()
        data = JobScheduleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule = services.schedule_create(
            template=template, user=request.user, **_schedule_values(dict(data.validated_data))
        )
        return Response(
            JobScheduleOutputSerializer(selectors.job_schedule_list().get(pk=schedule.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Jobs, newest first, with each host's result."""

    queryset = Job.objects.none()
    serializer_class = JobOutputSerializer
    filterset_class = JobFilter
    ordering_fields = ["created_at", "finished_at"]
    permissions_by_action = {
        "events": "jobs.view_job",
        "cancel": "jobs.launch_jobtemplate",
        "relaunch": "jobs.launch_jobtemplate",
    }

    def get_queryset(self):
        return selectors.job_list()

    @extend_schema(
        parameters=[OpenApiParameter("after", int), OpenApiParameter("limit", int)],
        responses=JobEventPageOutputSerializer,
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The job's Ansible output after `after` (a seq), in order: poll with `next_after` to stream it."""
        job = get_object_or_404(Job, pk=pk)
        query = query_input(request, EventQuerySerializer)
        events = list(selectors.job_events_after(job=job, after=query["after"], limit=query["limit"]))
        page = {
            "events": JobEventOutputSerializer(events, many=True).data,
            "next_after": events[-1].seq if events else query["after"],
            "finished": not job.is_active,
        }
        return Response(page)

    @extend_schema(request=None, responses=JobOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop a queued or running job (its playbook stops within seconds)."""
        job = services.job_cancel(job=get_object_or_404(Job, pk=pk), user=request.user)
        return Response(JobOutputSerializer(selectors.job_list().get(pk=job.pk)).data)

    @extend_schema(request=RelaunchInputSerializer, responses={202: JobQueuedOutputSerializer})
    @action(detail=True, methods=["post"])
    def relaunch(self, request: Request, pk: str | None = None) -> Response:
        """A new job of the same template, vars and commit: on all hosts, or on those that failed."""
        data = RelaunchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.job_relaunch(
            job=get_object_or_404(Job, pk=pk), hosts=data.validated_data["hosts"], user=request.user
        )
        return _queued(job)


@extend_schema_view(
    partial_update=extend_schema(request=JobScheduleInputSerializer, responses=JobScheduleOutputSerializer)
)
class JobScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Every job schedule, with its next run and its last job."""

    queryset = JobSchedule.objects.none()
    serializer_class = JobScheduleOutputSerializer
    filterset_class = JobScheduleFilter
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.job_schedule_list()

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        schedule = self.get_object()
        data = JobScheduleInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.schedule_update(schedule=schedule, **_schedule_values(dict(data.validated_data)))
        return Response(JobScheduleOutputSerializer(selectors.job_schedule_list().get(pk=schedule.pk)).data)

    def perform_destroy(self, instance: JobSchedule) -> None:
        services.schedule_delete(schedule=instance)

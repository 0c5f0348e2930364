from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.scheduling import selectors, services
from apps.scheduling.api.filters import WorkerFilter
from apps.scheduling.api.serializers import (
    PeriodicTaskOutputSerializer,
    QueuedTaskOutputSerializer,
    WorkerOutputSerializer,
)
from apps.scheduling.models import Worker


class PeriodicTaskListApi(ListAPIView):
    """The periodic tasks beat runs, with their schedule and last run."""

    serializer_class = PeriodicTaskOutputSerializer
    permissions_by_method = {"GET": "django_celery_beat.view_periodictask"}

    def get_queryset(self):
        return selectors.periodic_task_list()


class PeriodicTaskRunApi(APIView):
    """Queue one run of a periodic task now (the admin's "run now")."""

    permissions_by_method = {"POST": "core.run_periodic_task"}

    @extend_schema(request=None, responses={202: QueuedTaskOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        task_id = services.periodic_task_run_now(periodic_task_id=pk)
        return Response(QueuedTaskOutputSerializer({"task_id": task_id}).data, status=status.HTTP_202_ACCEPTED)


class WorkerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The Celery workers seen, online ones first: where tasks (and jobs) can run. Each worker
    records itself at start, every WORKER_HEARTBEAT_SECONDS and at a clean shutdown; one that
    went away stays listed, offline, for WORKER_RETENTION_DAYS. Read-only."""

    queryset = Worker.objects.none()  # for the schema and the model permission; requests use the selector
    serializer_class = WorkerOutputSerializer
    filterset_class = WorkerFilter
    ordering_fields = ["hostname", "started_at", "last_heartbeat_at"]
    lookup_field = "hostname"
    lookup_value_regex = "[^/]+"  # node names hold dots (celery@web1.example.com)

    def get_queryset(self):
        return selectors.worker_list()

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import selectors, services
from apps.core.api.filters import SyncRunFilter
from apps.core.api.serializers import (
    HeartbeatOutputSerializer,
    PeriodicTaskOutputSerializer,
    QueuedTaskOutputSerializer,
    SyncRunOutputSerializer,
)
from apps.core.models import SyncRun


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


class HeartbeatApi(APIView):
    """When beat last sent the heartbeat and when a worker last ran it."""

    permissions_by_method = {"GET": "core.view_heartbeat"}

    @extend_schema(responses=HeartbeatOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(HeartbeatOutputSerializer(selectors.heartbeat_status()).data)


class SyncRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sync runs of every kind (server syncs, GitHub syncs, docs indexing), newest first: the
    `run_id` a sync request answers is one of these."""

    queryset = SyncRun.objects.none()  # for the schema and the model permission; requests use the selector
    serializer_class = SyncRunOutputSerializer
    filterset_class = SyncRunFilter
    ordering_fields = ["created_at", "finished_at"]

    def get_queryset(self):
        return selectors.sync_run_list()

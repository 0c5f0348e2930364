from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import selectors
from apps.core.api.filters import SyncRunFilter
from apps.core.api.serializers import HeartbeatOutputSerializer, SyncRunOutputSerializer
from apps.core.models import SyncRun


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

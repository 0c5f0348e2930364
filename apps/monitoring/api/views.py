from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.monitoring import selectors, services
from apps.monitoring.api.serializers import (
    ChecksQueuedOutputSerializer,
    HealthCheckOutputSerializer,
    HostKeyOutputSerializer,
    IncidentFilter,
    IncidentOutputSerializer,
)
from apps.monitoring.models import HealthCheck, Incident
from apps.servers.models import Server


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents opened by health checks (and later provisioning), newest first."""

    queryset = Incident.objects.none()  # for the schema; requests use the selector
    serializer_class = IncidentOutputSerializer
    permissions_by_action = {"acknowledge": "monitoring.handle_incident", "resolve": "monitoring.handle_incident"}
    filterset_class = IncidentFilter
    ordering_fields = ["opened_at", "last_seen_at", "severity"]

    def get_queryset(self):
        return selectors.incident_list()

    @extend_schema(request=None, responses=IncidentOutputSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        incident = services.incident_acknowledge(incident=self.get_object(), user=request.user)
        return Response(IncidentOutputSerializer(incident).data)

    @extend_schema(request=None, responses=IncidentOutputSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        incident = services.incident_resolve(incident=self.get_object(), user=request.user)
        return Response(IncidentOutputSerializer(incident).data)


class ServerHealthCheckApi(APIView):
    """Check this server now (202); the result appears in its health checks."""

    permissions_by_method = {"POST": "monitoring.run_health_check"}

    @extend_schema(request=None, responses={202: ChecksQueuedOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        server = get_object_or_404(Server, pk=pk)
        batches = services.health_check_queue(server_ids=[server.pk])
        return Response(ChecksQueuedOutputSerializer({"batches": batches}).data, status=status.HTTP_202_ACCEPTED)


class ServerHealthCheckListApi(ListAPIView):
    """This server's health checks, newest first."""

    permissions_by_method = {"GET": "monitoring.view_healthcheck"}

    queryset = HealthCheck.objects.none()  # for the schema; requests use the selector
    serializer_class = HealthCheckOutputSerializer

    def get_queryset(self):
        return selectors.health_checks_of(server=get_object_or_404(Server, pk=self.kwargs["pk"]))


class ServerAcceptHostKeyApi(APIView):
    """Pin the host key the server offered after a host key mismatch (admins: it decides whom SSH trusts)."""

    permissions_by_method = {"POST": "servers.accept_host_key"}

    @extend_schema(request=None, responses=HostKeyOutputSerializer)
    def post(self, request: Request, pk: int) -> Response:
        server = services.server_host_key_accept(server=get_object_or_404(Server, pk=pk), user=request.user)
        return Response(HostKeyOutputSerializer({"host_key_fingerprint": server.host_key_fingerprint}).data)

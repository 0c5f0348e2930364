from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.openapi import ErrorSerializer
from apps.core.api.query import query_input
from apps.core.exceptions import ConflictError
from apps.provisioning import selectors, services
from apps.provisioning.api.serializers import (
    EventQuerySerializer,
    OsTemplateOutputSerializer,
    ProvisioningEventOutputSerializer,
    ProvisioningEventPageOutputSerializer,
    ProvisioningRunOutputSerializer,
    ProvisioningRunQueuedOutputSerializer,
    ProvisionInputSerializer,
    RunFilter,
    RunPlaybookInputSerializer,
)
from apps.provisioning.models import ProvisioningRun
from apps.servers.choices import Lifecycle
from apps.servers.models import Server


def _queued(run: ProvisioningRun) -> Response:
    return Response(ProvisioningRunQueuedOutputSerializer({"run_id": run.pk}).data, status=status.HTTP_202_ACCEPTED)


class ServerProvisionApi(APIView):
    """Reinstall the server and configure it (202 with the run's id).

    400 without `"confirm": true` or for an OS the server does not offer; 409 when the server is
    removed, busy at the provider or already has an active run (the body carries `active_run_id`).
    """

    permissions_by_method = {"POST": "provisioning.run_provisioning"}

    @extend_schema(request=ProvisionInputSerializer, responses={202: ProvisioningRunQueuedOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        server = get_object_or_404(Server.objects.select_related("provider_account"), pk=pk)
        data = ProvisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.provision_request(
            server=server,
            os_template=data.validated_data["os"],
            playbook=data.validated_data.get("playbook"),
            confirm=data.validated_data["confirm"],
            user=request.user,
        )
        return _queued(run)


class ServerOsTemplatesApi(APIView):
    """The OS templates the provider offers for this server (what `os` of a provision request may be).

    Asks the provider each time, as the admin's provision page does: 503 when it cannot be asked.
    Operators only, like provisioning itself: every call is a call to the provider's API.
    """

    permissions_by_method = {"GET": "provisioning.run_provisioning"}

    @extend_schema(
        responses={
            200: OsTemplateOutputSerializer(many=True),
            409: OpenApiResponse(ErrorSerializer, description="The server was removed at the provider."),
            503: OpenApiResponse(ErrorSerializer, description="The provider could not be asked."),
        }
    )
    def get(self, request: Request, pk: int) -> Response:
        server = get_object_or_404(Server.objects.select_related("provider_account"), pk=pk)
        if server.lifecycle == Lifecycle.REMOVED:
            raise ConflictError(f"{server} was removed at the provider: it offers no OS templates")
        templates = [{"os": code, "title": title} for code, title in services.server_os_templates(server)]
        return Response(OsTemplateOutputSerializer(templates, many=True).data)


class ServerRunPlaybookApi(APIView):
    """Run a playbook on a ready server without reinstalling it (the Ansible phase alone)."""

    permissions_by_method = {"POST": "provisioning.run_provisioning"}

    @extend_schema(request=RunPlaybookInputSerializer, responses={202: ProvisioningRunQueuedOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        server = get_object_or_404(Server, pk=pk)
        data = RunPlaybookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.playbook_run_request(server=server, playbook=data.validated_data["playbook"], user=request.user)
        return _queued(run)


class ProvisioningRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Provisioning and playbook runs, newest first, with their phases and Ansible stats."""

    queryset = ProvisioningRun.objects.none()  # for the schema; requests use the selector
    serializer_class = ProvisioningRunOutputSerializer
    permissions_by_action = {
        "events": "provisioning.view_provisioningrun",
        "retry": "provisioning.run_provisioning",
        "cancel": "provisioning.run_provisioning",
    }
    filterset_class = RunFilter
    ordering_fields = ["created_at", "finished_at"]

    def get_queryset(self):
        return selectors.provisioning_run_list()

    @extend_schema(
        parameters=[OpenApiParameter("after", int), OpenApiParameter("limit", int)],
        responses=ProvisioningEventPageOutputSerializer,
    )
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The run's Ansible output after `after` (a seq), in order: poll with `next_after` to stream it."""
        run = self.get_object()
        query = query_input(request, EventQuerySerializer)
        after = query["after"]
        events = list(selectors.provisioning_events_after(run=run, after=after, limit=query["limit"]))
        page = {
            "events": ProvisioningEventOutputSerializer(events, many=True).data,
            "next_after": events[-1].seq if events else after,
            "finished": not run.is_active,
        }
        return Response(page)

    @extend_schema(request=None, responses={202: ProvisioningRunQueuedOutputSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Resume a failed or canceled run from the phase it stopped in."""
        return _queued(services.run_retry(run=self.get_object(), user=request.user))

    @extend_schema(request=None, responses=ProvisioningRunOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop a queued or running run (a running playbook stops within seconds)."""
        run = services.run_cancel(run=self.get_object(), user=request.user)
        return Response(ProvisioningRunOutputSerializer(selectors.provisioning_run_list().get(pk=run.pk)).data)

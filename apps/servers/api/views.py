from django.db.models import ProtectedError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.writes import ServiceWritesMixin
from apps.core.choices import Trigger
from apps.core.exceptions import ConflictError
from apps.servers import selectors, services
from apps.servers.api.filters import ServerFilter
from apps.servers.api.serializers import (
    ProviderAccountInputSerializer,
    ProviderAccountOutputSerializer,
    ServerOutputSerializer,
    ServerUpdateInputSerializer,
    SshKeyInputSerializer,
    SshKeyOutputSerializer,
    SyncQueuedOutputSerializer,
)
from apps.servers.models import ProviderAccount, Server, SshKey


@extend_schema_view(
    create=extend_schema(request=ProviderAccountInputSerializer, responses={201: ProviderAccountOutputSerializer}),
    partial_update=extend_schema(request=ProviderAccountInputSerializer, responses=ProviderAccountOutputSerializer),
)
class ProviderAccountViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Provider accounts. The password is write-only: no answer ever contains it."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    # For the schema generator only: requests go through get_queryset (the selectors).
    queryset = ProviderAccount.objects.none()
    serializer_class = ProviderAccountOutputSerializer
    input_serializer_class = ProviderAccountInputSerializer
    permissions_by_action = {"sync": "servers.sync_provideraccount"}
    search_fields = ["name", "username"]
    ordering_fields = ["name", "last_sync_at", "created_at"]

    def get_queryset(self):
        return selectors.provider_account_list()

    def create_record(self, data):
        return services.provider_account_create(data=data)

    def update_record(self, instance, data):
        return services.provider_account_update(account=instance, data=data)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        account = self.get_object()
        try:
            account.delete()
        except ProtectedError:
            raise ConflictError(
                f"the account still has {account.servers.count()} servers; disable it instead of deleting it"
            ) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: SyncQueuedOutputSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        """Queue a sync of this account now: 202 with the run's id (GET /api/sync-runs/{id}/)."""
        run = services.server_sync_queue(account=self.get_object(), trigger=Trigger.API, user=request.user)
        return Response(SyncQueuedOutputSerializer({"run_id": run.pk}).data, status=status.HTTP_202_ACCEPTED)


class ServerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The servers the providers report. PATCH changes only the operator-managed fields."""

    http_method_names = ["get", "patch", "head", "options"]
    queryset = Server.objects.none()
    serializer_class = ServerOutputSerializer
    filterset_class = ServerFilter
    search_fields = ["hostname", "label", "ip", "provider_id"]
    ordering_fields = ["hostname", "ip", "lifecycle", "health_status", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.server_list()

    @extend_schema(request=ServerUpdateInputSerializer, responses=ServerOutputSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        server = self.get_object()
        data = ServerUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        server = services.server_update(server=server, data=data.validated_data)
        return Response(ServerOutputSerializer(server).data)


class SshKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Keys the platform logs in with. The private key is write-only: no answer ever contains it."""

    queryset = SshKey.objects.none()  # for the schema; requests use the selector
    serializer_class = SshKeyOutputSerializer

    def get_queryset(self):
        return selectors.ssh_key_list()

    @extend_schema(request=SshKeyInputSerializer, responses={201: SshKeyOutputSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = SshKeyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = services.ssh_key_create(
            name=data.validated_data["name"],
            private_key=data.validated_data.get("private_key") or None,
            is_default=data.validated_data["is_default"],
        )
        return Response(SshKeyOutputSerializer(key).data, status=status.HTTP_201_CREATED)

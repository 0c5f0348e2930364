from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.scheduling import selectors, services
from apps.scheduling.api.serializers import PeriodicTaskOutputSerializer, QueuedTaskOutputSerializer


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

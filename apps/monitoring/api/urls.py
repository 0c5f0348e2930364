from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.monitoring.api import views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")

urlpatterns = [
    path("servers/<int:pk>/health-check/", views.ServerHealthCheckApi.as_view(), name="server-health-check"),
    path("servers/<int:pk>/health-checks/", views.ServerHealthCheckListApi.as_view(), name="server-health-checks"),
    path("servers/<int:pk>/accept-host-key/", views.ServerAcceptHostKeyApi.as_view(), name="server-accept-host-key"),
    *router.urls,
]

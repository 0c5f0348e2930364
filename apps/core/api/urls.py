from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.core.api import views

router = SimpleRouter()
router.register("sync-runs", views.SyncRunViewSet, basename="sync-run")

urlpatterns = [
    *router.urls,
    path("periodic-tasks/", views.PeriodicTaskListApi.as_view(), name="periodic-task-list"),
    path("periodic-tasks/<int:pk>/run/", views.PeriodicTaskRunApi.as_view(), name="periodic-task-run"),
    path("system/heartbeat/", views.HeartbeatApi.as_view(), name="heartbeat"),
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.core.api import views

router = SimpleRouter()
router.register("sync-runs", views.SyncRunViewSet, basename="sync-run")

urlpatterns = [
    *router.urls,
    path("system/heartbeat/", views.HeartbeatApi.as_view(), name="heartbeat"),
]

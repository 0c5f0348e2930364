from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.scheduling.api import views

router = SimpleRouter()
router.register("workers", views.WorkerViewSet, basename="worker")

urlpatterns = [
    path("periodic-tasks/", views.PeriodicTaskListApi.as_view(), name="periodic-task-list"),
    path("periodic-tasks/<int:pk>/run/", views.PeriodicTaskRunApi.as_view(), name="periodic-task-run"),
    *router.urls,
]

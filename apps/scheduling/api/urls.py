from django.urls import path

from apps.scheduling.api import views

urlpatterns = [
    path("periodic-tasks/", views.PeriodicTaskListApi.as_view(), name="periodic-task-list"),
    path("periodic-tasks/<int:pk>/run/", views.PeriodicTaskRunApi.as_view(), name="periodic-task-run"),
]

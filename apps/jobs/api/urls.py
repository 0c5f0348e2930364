from rest_framework.routers import SimpleRouter

from apps.jobs.api import views

router = SimpleRouter()
router.register("job-templates", views.JobTemplateViewSet, basename="job-template")
router.register("jobs", views.JobViewSet, basename="job")
router.register("schedules", views.JobScheduleViewSet, basename="job-schedule")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter

from apps.projects.api import views

router = SimpleRouter()
router.register("github-accounts", views.GitHubAccountViewSet, basename="github-account")
router.register("projects", views.ProjectViewSet, basename="project")

urlpatterns = router.urls

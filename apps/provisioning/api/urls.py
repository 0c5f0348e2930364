from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.provisioning.api import views

router = SimpleRouter()
router.register("provisioning-runs", views.ProvisioningRunViewSet, basename="provisioning-run")

urlpatterns = [
    path("servers/<int:pk>/provision/", views.ServerProvisionApi.as_view(), name="server-provision"),
    path("servers/<int:pk>/oses/", views.ServerOsTemplatesApi.as_view(), name="server-oses"),
    path("servers/<int:pk>/run-playbook/", views.ServerRunPlaybookApi.as_view(), name="server-run-playbook"),
    *router.urls,
]

from rest_framework.routers import SimpleRouter

from apps.servers.api import views

router = SimpleRouter()
router.register("provider-accounts", views.ProviderAccountViewSet, basename="provider-account")
router.register("servers", views.ServerViewSet, basename="server")
router.register("ssh-keys", views.SshKeyViewSet, basename="ssh-key")

urlpatterns = router.urls

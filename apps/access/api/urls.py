from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.access.api import views

router = SimpleRouter()
router.register("auth/tokens", views.ApiTokenViewSet, basename="api-token-personal")

urlpatterns = [
    path("auth/token/", views.TokenObtainApi.as_view(), name="api-token"),
    *router.urls,
]

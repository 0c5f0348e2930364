from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core import health

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^health/live/?$", health.live, name="health-live"),
    re_path(r"^health/ready/?$", health.ready, name="health-ready"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("apps.core.api.urls")),
    path("api/", include("apps.servers.api.urls")),
    path("api/", include("apps.projects.api.urls")),
    path("api/", include("apps.monitoring.api.urls")),
    path("api/", include("apps.provisioning.api.urls")),
]

# The sandbox provider (a Time4VPS stand-in): development and test only, never production.
if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/api/", include("apps.sandbox.urls")))
    urlpatterns.append(path("sandbox/github/api/v3/", include("apps.sandbox.github.urls")))

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.access.views import admin_login
from apps.core import health
from apps.observability.views import metrics

urlpatterns = [
    # Before admin.site.urls: the admin's login view behind the failed-login limit.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    re_path(r"^health/live/?$", health.live, name="health-live"),
    re_path(r"^health/ready/?$", health.ready, name="health-ready"),
    re_path(r"^metrics/?$", metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("apps.access.api.urls")),
    path("api/", include("apps.core.api.urls")),
    path("api/", include("apps.servers.api.urls")),
    path("api/", include("apps.projects.api.urls")),
    path("api/", include("apps.monitoring.api.urls")),
    path("api/", include("apps.provisioning.api.urls")),
    path("api/", include("apps.audit.api.urls")),
]
# A URL under /api/ that matches no route gets a JSON 404 like every other API answer.
handler404 = "apps.core.api.exceptions.not_found"

# The sandbox provider (a Time4VPS stand-in): development and test only, never production.
if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/api/", include("apps.sandbox.urls")))
    urlpatterns.append(path("sandbox/github/api/v3/", include("apps.sandbox.github.urls")))

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from apps.access.views import admin_login
from apps.core import health
from apps.core.api.entry import ApiDocsView, ApiRootApi
from apps.core.api.exceptions import not_found
from apps.observability.views import metrics

urlpatterns = [
    # Nothing is served at the site's root: the people who come here want the admin.
    path("", RedirectView.as_view(pattern_name="admin:index"), name="root"),
    # Before admin.site.urls: the admin's login view behind the failed-login limit.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    re_path(r"^health/live/?$", health.live, name="health-live"),
    re_path(r"^health/ready/?$", health.ready, name="health-ready"),
    re_path(r"^metrics/?$", metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", ApiRootApi.as_view(), name="api-root"),
    path("api/", include("apps.access.api.urls")),
    path("api/", include("apps.core.api.urls")),
    path("api/", include("apps.scheduling.api.urls")),
    path("api/", include("apps.servers.api.urls")),
    path("api/", include("apps.projects.api.urls")),
    path("api/", include("apps.monitoring.api.urls")),
    path("api/", include("apps.provisioning.api.urls")),
    path("api/", include("apps.jobs.api.urls")),
    path("api/", include("apps.audit.api.urls")),
    # Any other /api/.../ is the JSON 404 below, also with DEBUG on (Django would show its page
    # listing every route). Ending in "/", so a path missing its slash is still redirected to it.
    # CSRF-exempt as no route at all is: a POST there is a 404, not a CSRF page.
    re_path(r"^api/(?:.*/)?$", csrf_exempt(not_found), name="api-not-found"),
]
# A URL under /api/ that matches no route gets a JSON 404 like every other API answer.
handler404 = "apps.core.api.exceptions.not_found"

# The sandbox provider (a Time4VPS stand-in): development and test only, never production.
if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/api/", include("apps.sandbox.urls")))
    urlpatterns.append(path("sandbox/github/api/v3/", include("apps.sandbox.github.urls")))

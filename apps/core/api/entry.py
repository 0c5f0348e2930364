"""Where people and clients start: the API root (what there is, and which version) and the docs page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse as api_reverse
from rest_framework.views import APIView

from apps.access.permissions import AUTHENTICATED
from apps.core.public_urls import mcp_url
from apps.core.version import PLATFORM_VERSION

# The API's collections, by the name the root gives each, and the URL name of its list.
COLLECTIONS = {
    "servers": "server-list",
    "provider_accounts": "provider-account-list",
    "sync_runs": "sync-run-list",
    "ssh_keys": "ssh-key-list",
    "projects": "project-list",
    "github_accounts": "github-account-list",
    "incidents": "incident-list",
    "provisioning_runs": "provisioning-run-list",
    "job_templates": "job-template-list",
    "jobs": "job-list",
    "schedules": "job-schedule-list",
    "periodic_tasks": "periodic-task-list",
    "workers": "worker-list",
    "audit_events": "audit-event-list",
    "tokens": "api-token-personal-list",
}


class ApiRootOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField(help_text="The platform's version.")
    api_version = serializers.CharField(help_text="The version of this API's schema.")
    schema = serializers.URLField(help_text="The OpenAPI schema.")
    docs = serializers.URLField(help_text="The schema as a page to read and try (Swagger UI).")
    collections = serializers.DictField(child=serializers.URLField(), help_text="Each collection's list, by name.")
    mcp = serializers.URLField(help_text="The MCP server (tools for AI assistants under your token): docs/mcp.md.")


class ApiRootApi(APIView):
    """What the API holds: a link to each collection, the schema and the docs, and the version.

    Any signed-in user may read it (it says what exists, not what the caller may do); an
    anonymous caller gets 401, as everywhere but the login.
    """

    permissions_by_method = {"GET": AUTHENTICATED}

    @extend_schema(responses=ApiRootOutputSerializer)
    def get(self, request: Request) -> Response:
        body = {
            "name": settings.SPECTACULAR_SETTINGS["TITLE"],
            "version": PLATFORM_VERSION,
            "api_version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "schema": api_reverse("api-schema", request=request),
            "docs": api_reverse("api-docs", request=request),
            "collections": {name: api_reverse(url_name, request=request) for name, url_name in COLLECTIONS.items()},
            "mcp": mcp_url(request),
        }
        return Response(ApiRootOutputSerializer(body).data)


class ApiDocsView(SpectacularSwaggerView):
    """Swagger UI for signed-in users; a browser without a session is sent to the admin's login,
    and comes back here after it (a wrong token is still a 401: it is a client, not a person)."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, exceptions.NotAuthenticated):
            return redirect_to_login(self.request.get_full_path(), login_url=reverse("admin:login"))
        return super().handle_exception(exc)

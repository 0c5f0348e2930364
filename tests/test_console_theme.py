"""The console: branded as the platform, its sidebar grouped by the operator's work with Celery's
internals under System, and operational history that cannot be deleted from it."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory

from apps.core.admin_navigation import sidebar_navigation
from tests import factories
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

OPERATOR_GROUPS = ["Servers", "Provisioning and jobs", "Monitoring", "Projects", "Schedules", "Access", "Audit"]
CELERY_INTERNALS = {"Clocked", "Crontabs", "Intervals", "Solar events", "Task results", "Group results"}


def navigation_for(user) -> list[dict]:
    request = RequestFactory().get("/admin/")
    request.user = user
    return sidebar_navigation(request)


def titles(group: dict) -> set[str]:
    return {str(item["title"]) for item in group["items"]}


def test_the_console_is_branded_as_the_platform(admin_client):
    page = admin_client.get("/admin/").content.decode()
    admin_client.post("/admin/logout/")
    login = admin_client.get("/admin/login/").content.decode()

    for html in (page, login):
        assert "Django administration" not in html
        assert "Django site admin" not in html
    assert re.search(r"<title>[^<]*Fleet console</title>", page)
    assert "Servers, runs and jobs" in page


def test_an_admin_sees_the_operators_groups_in_order_and_celery_internals_under_system(admin_user):
    groups = navigation_for(admin_user)

    assert [group["title"] for group in groups] == [*OPERATOR_GROUPS, "System"]
    system = groups[-1]
    assert titles(system) >= CELERY_INTERNALS
    for group in groups[:-1]:
        assert not CELERY_INTERNALS & titles(group), group["title"]
    assert {"Servers", "Provider accounts", "SSH keys"} == titles(groups[0])
    assert "Docs search" in titles(groups[3])
    assert "GitHub accounts" in titles(groups[3])
    # Every page registered in the admin is somewhere in the sidebar.
    listed = {item["link"] for group in groups for item in group["items"]}
    registered = {f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry}
    assert registered <= listed


def test_a_viewer_sees_only_pages_the_role_opens(client):
    viewer = user_with_role("viewer")
    client.force_login(viewer)

    groups = navigation_for(viewer)

    links = [item["link"] for group in groups for item in group["items"]]
    assert "/admin/servers/server/" in links
    assert "/admin/auth/user/" not in links  # managing users is the admin role's
    for link in links:
        assert client.get(link).status_code == 200, link


@pytest.mark.parametrize(
    "path",
    [
        "servers/server",
        "provisioning/provisioningrun",
        "jobs/job",
        "monitoring/incident",
        "monitoring/healthcheck",
        "monitoring/notification",
        "core/syncrun",
    ],
)
def test_operational_history_cannot_be_deleted_from_the_admin(admin_client, path):
    server = factories.server(lifecycle="ready")
    objects = {
        "servers/server": server,
        "provisioning/provisioningrun": factories.provisioning_run(on=server, status="failed"),
        "monitoring/incident": factories.incident(on=server, kind="unreachable", severity="critical"),
        "monitoring/healthcheck": factories.health_check(on=server, outcome="healthy", checked_at=server.created_at),
        "core/syncrun": factories.sync_run(status="failed"),
    }
    target = objects.get(path)
    changelist = admin_client.get(f"/admin/{path}/").content.decode()

    assert 'value="delete_selected"' not in changelist
    if target is not None:
        assert admin_client.get(f"/admin/{path}/{target.pk}/delete/").status_code == 403
        assert admin_client.post(f"/admin/{path}/{target.pk}/delete/", {"post": "yes"}).status_code == 403
        assert type(target).objects.filter(pk=target.pk).exists()

"""The Server admin is composed in one place (config/admin.py) from the parts each app offers,
so what an operator finds on a server's page does not depend on the order of INSTALLED_APPS."""

from django.contrib import admin
from django.urls import reverse

from apps.servers.models import Server


def test_the_server_admin_carries_every_apps_part_in_page_order():
    server_admin = admin.site._registry[Server]

    sections = [title for title, _ in server_admin.fieldsets]
    assert sections == [
        "Provider",
        "Access (operator-managed)",
        "Labels",
        "Platform",
        "Health history",
        "Health (operator-managed)",
        "Host key",
        "Provisioning",
        "Jobs",
    ]
    assert server_admin.actions == ["sync_now", "check_now", "accept_host_key", "provision", "run_playbook", "run_job"]
    parts_fields = {"health_history", "last_checked_at", "lifecycle_reason", "provisioning_runs", "recent_jobs"}
    assert parts_fields <= set(server_admin.readonly_fields)


def test_each_parts_pages_are_routed():
    assert reverse("admin:servers_server_provision", args=[1]) == "/admin/servers/server/1/provision/"
    assert reverse("admin:servers_server_run_playbook", args=[1]) == "/admin/servers/server/1/run-playbook/"
    assert reverse("admin:servers_server_run_job", args=[1]) == "/admin/servers/server/1/run-job/"
    assert reverse("admin:servers_server_check_health", args=[1]) == "/admin/servers/server/1/check-health/"
    assert reverse("admin:servers_server_reveal_root_password", args=[1]).startswith("/admin/servers/server/1/")

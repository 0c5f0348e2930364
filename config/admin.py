"""The admin site's one explicit composition: model admins that several apps contribute to.

Django's admin discovers each app's admin module, and each app registers its own models there.
The Server is extended by other apps (monitoring adds health, provisioning its pages, jobs its
latest jobs and "run a job here"), so it is registered here instead, once every app's admin
module has been imported, from the parts named below in the order they appear on the page.
"""

from django.contrib.admin.apps import AdminConfig
from unfold.sites import UnfoldAdminSite


class PlatformAdminSite(UnfoldAdminSite):
    """The console: django-unfold's admin site, branded as the platform (see UNFOLD in settings)."""

    site_header = "Fleet"
    site_title = "Fleet console"
    index_title = "Dashboard"
    index_template = "admin/dashboard.html"  # apps/observability: the dashboard in unfold's index


class PlatformAdminConfig(AdminConfig):
    # Every `admin.site` and `@admin.register` resolves to this site (Django's lazy default site).
    default_site = "config.admin.PlatformAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscover: every app's admin module
        register_composed_admins()


def register_composed_admins() -> None:
    from django.contrib import admin

    from apps.core.admin_composition import compose_model_admin
    from apps.jobs.admin import ServerJobsAdmin
    from apps.monitoring.admin import ServerHealthAdmin
    from apps.provisioning.admin import ServerProvisioningAdmin
    from apps.servers.admin import ServerAdmin
    from apps.servers.models import Server

    admin.site.register(
        Server,
        compose_model_admin("ServerAdmin", ServerAdmin, ServerHealthAdmin, ServerProvisioningAdmin, ServerJobsAdmin),
    )

"""The console's sidebar: the operator's work first, the machinery last.

Django's admin lists apps alphabetically, so Celery's internals (clocked schedules, solar
events, group results) sat above the servers. Here each page belongs to one group, named after
what an operator does; every registered page no group names falls under "System", so a new
model can never vanish from the console. Only the pages the user may view are listed: the
entries come from the admin site's own permission-filtered app list.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (group title, [(app_label, model_name, material icon), ...]) in the order of the sidebar.
NAVIGATION_GROUPS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "Servers",
        (
            ("servers", "server", "dns"),
            ("servers", "provideraccount", "cloud"),
            ("servers", "sshkey", "key"),
        ),
    ),
    (
        "Provisioning and jobs",
        (
            ("provisioning", "provisioningrun", "rocket_launch"),
            ("jobs", "jobtemplate", "description"),
            ("jobs", "job", "play_circle"),
            ("jobs", "jobschedule", "event_repeat"),
        ),
    ),
    (
        "Monitoring",
        (
            ("monitoring", "incident", "warning"),
            ("monitoring", "healthcheck", "monitor_heart"),
            ("monitoring", "notification", "notifications"),
            ("monitoring", "notificationchannel", "campaign"),
        ),
    ),
    (
        "Projects",
        (
            ("projects", "project", "folder_code"),
            ("projects", "githubaccount", "hub"),
            ("projects", "docchunk", "article"),
            ("assistant", "question", "chat"),
        ),
    ),
    (
        "Schedules",
        (
            ("django_celery_beat", "periodictask", "schedule"),
            ("scheduling", "worker", "memory"),
            ("core", "syncrun", "sync"),
        ),
    ),
    (
        "Access",
        (
            ("auth", "user", "person"),
            ("auth", "group", "group"),
            ("access", "apitoken", "token"),
        ),
    ),
    (
        "Audit",
        (("audit", "auditevent", "history"),),
    ),
)
SYSTEM_GROUP = "System"

# Pages that are not a model's list, placed after the model they belong with.
EXTRA_PAGES: dict[tuple[str, str], tuple[str, str, str]] = {
    # (after app_label, model_name): (title, url name, icon)
    ("projects", "project"): ("Docs search", "admin:projects_project_search", "search"),
}


def sidebar_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    """The sidebar's groups for this user, in unfold's navigation format."""
    viewable = {
        (app["app_label"], model["object_name"].lower()): model
        for app in admin.site.get_app_list(request)
        for model in app["models"]
        if model.get("admin_url")
    }
    placed: set[tuple[str, str]] = set()
    groups = []
    for title, entries in NAVIGATION_GROUPS:
        items = []
        for app_label, model_name, icon in entries:
            model = viewable.get((app_label, model_name))
            if model is None:
                continue
            placed.add((app_label, model_name))
            items.append({"title": model["name"], "icon": icon, "link": model["admin_url"]})
            extra = EXTRA_PAGES.get((app_label, model_name))
            if extra is not None and (link := _reverse_or_none(extra[1])):
                items.append({"title": extra[0], "icon": extra[2], "link": link})
        if items:
            groups.append({"title": title, "separator": bool(groups), "items": items})
    system = [
        {"title": model["name"], "icon": "settings", "link": model["admin_url"]}
        for key, model in sorted(viewable.items(), key=lambda pair: str(pair[1]["name"]).lower())
        if key not in placed
    ]
    if system:
        groups.append({"title": SYSTEM_GROUP, "separator": True, "collapsible": True, "items": system})
    return groups


def _reverse_or_none(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def environment_badge(request: HttpRequest) -> list[str] | None:
    """A badge in the console's header naming a non-production environment, so nobody mistakes it."""
    from django.conf import settings

    environment = getattr(settings, "ENVIRONMENT", "production")
    if environment == "production":
        return None
    return [environment.capitalize(), "warning" if environment == "development" else "info"]

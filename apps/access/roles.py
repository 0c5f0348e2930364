"""The three roles, as Django groups whose permissions are derived from rules kept here.

The admin and the API both ask `user.has_perm(...)`, so a role means the same in both.
The groups are created by a migration and re-synchronised after every `migrate`
(apps/access/signals.py): a model added later is covered without a new migration.
Role groups are managed by the platform; edits to their permissions are put back.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    ADMIN = "admin", "Admin"


# Apps whose records every role may read (the viewer's `view_*` permissions).
READABLE_APPS = (
    "core",
    "servers",
    "projects",
    "monitoring",
    "provisioning",
    "jobs",
    "audit",
    "scheduling",
    "django_celery_beat",
    "django_celery_results",
)
# Models no role reads through view permissions: other users' tokens are an admin's business
# (everyone manages their own through /api/auth/tokens/ and the admin's token page).
NOT_VIEWABLE_BY_VIEWERS = {"access.apitoken"}

# What an operator may do beyond reading: run the fleet, not change who can reach it.
OPERATOR_PERMISSIONS = (
    "core.run_periodic_task",
    "servers.sync_provideraccount",
    "servers.change_server",
    "projects.sync_githubaccount",
    "monitoring.run_health_check",
    "monitoring.handle_incident",
    "provisioning.run_provisioning",
    "jobs.launch_jobtemplate",
    "jobs.add_jobtemplate",
    "jobs.change_jobtemplate",
    "jobs.delete_jobtemplate",
    "jobs.add_jobschedule",
    "jobs.change_jobschedule",
    "jobs.delete_jobschedule",
)

# An admin holds every permission of these apps (accounts, keys, channels, users, tokens,
# schedules), including the break-glass `servers.reveal_root_password`.
ADMIN_APPS = (*READABLE_APPS, "access", "auth")
# ...except these, which no role needs (the permission table itself, raw content types).
NEVER_GRANTED = {"auth.add_permission", "auth.change_permission", "auth.delete_permission"}


def _label(permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def role_permissions(role: Role, permissions) -> list:
    """The Permission rows (from `permissions`, a queryset with content_type) that `role` holds."""
    chosen = []
    for permission in permissions:
        label = _label(permission)
        app_label = permission.content_type.app_label
        model_label = f"{app_label}.{permission.content_type.model}"
        if label in NEVER_GRANTED:
            continue
        readable = (
            app_label in READABLE_APPS
            and permission.codename.startswith("view_")
            and model_label not in NOT_VIEWABLE_BY_VIEWERS
        )
        if role == Role.VIEWER:
            keep = readable
        elif role == Role.OPERATOR:
            keep = readable or label in OPERATOR_PERMISSIONS
        else:
            keep = app_label in ADMIN_APPS
        if keep:
            chosen.append(permission)
    return chosen


def role_groups_sync(apps_registry) -> None:
    """Create the role groups if missing and set each one's permissions from the rules above.

    Takes an app registry so a migration can run it against its historical models.
    """
    Group = apps_registry.get_model("auth", "Group")
    Permission = apps_registry.get_model("auth", "Permission")
    permissions = list(Permission.objects.select_related("content_type"))
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set(role_permissions(role, permissions))

"""After every `migrate`, bring the role groups' permissions in step with apps/access/roles.py."""

from typing import Any

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def _role_groups_sync(sender: Any, using: str = "default", **_: Any) -> None:
    if getattr(sender, "label", None) != "access":
        return
    # post_migrate runs app by app: the apps after this one may not have their permissions yet.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    from apps.access.roles import role_groups_sync

    role_groups_sync(apps)

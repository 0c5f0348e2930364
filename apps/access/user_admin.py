"""The admin's user pages: who may make whom a superuser or a staff member.

Django's UserAdmin lets anyone holding `auth.change_user` tick "superuser status" on any
account, their own included, so the admin role (which holds it, to manage roles) could make
itself superuser. Here only a superuser grants or takes away superuser and staff status or
single permissions, and only a superuser changes or deletes a superuser's account (its
password included). Admins assign roles (groups). Every change is audited either way
(apps/audit/model_changes.py watches the user model).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

User = get_user_model()

# What only a superuser may set: status above the roles, and permissions outside them.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")


class PlatformUserAdmin(UserAdmin, ModelAdmin):
    # The console theme's forms for Django's user pages (same fields, styled widgets).
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        return readonly + tuple(name for name in SUPERUSER_ONLY_FIELDS if name not in readonly)

    def _may_touch(self, request: HttpRequest, obj) -> bool:
        return obj is None or request.user.is_superuser or not obj.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_touch(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_touch(request, obj)


class PlatformGroupAdmin(GroupAdmin, ModelAdmin):
    """Django's role (group) pages in the console's theme."""


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PlatformUserAdmin)
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
admin.site.register(Group, PlatformGroupAdmin)

"""Users with one of the platform's roles, and API clients signed in as them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient


def user_with_role(role: str, username: str | None = None, *, staff: bool = True, password: str | None = None):
    """A user in the role's group; staff by default so the admin lets them in. Without a password
    the user cannot sign in (tests authenticate the client directly)."""
    user = get_user_model().objects.create_user(username=username or f"{role}-user", is_staff=staff, password=password)
    user.groups.add(Group.objects.get(name=role))
    return user


def api_client_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_client_with_role(role: str, username: str | None = None) -> APIClient:
    return api_client_as(user_with_role(role, username))

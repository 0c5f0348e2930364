"""The admin's user pages: an admin (role, not superuser) manages roles, never superuser or staff status."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from apps.audit.models import AuditEvent
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

User = get_user_model()


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def change_form_post(browser: Client, user, **fields):
    """Submit the user's change form as the browser shows it, with `fields` changed."""
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
        "groups": [str(group.pk) for group in user.groups.all()],
    }
    data.update(fields)
    return browser.post(f"/admin/auth/user/{user.pk}/change/", data)


def test_an_admin_cannot_make_itself_superuser_or_grant_permissions():
    ada = user_with_role("admin", "ada")
    browser = signed_in(ada)
    permission = Permission.objects.get(codename="change_permission")

    answer = change_form_post(browser, ada, is_superuser="on", is_staff="on", user_permissions=[str(permission.pk)])

    assert answer.status_code == 302, answer.content[:2000]
    ada.refresh_from_db()
    assert not ada.is_superuser
    assert not ada.user_permissions.exists()
    page = browser.get(f"/admin/auth/user/{ada.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="is_staff"' not in page


def test_an_admin_cannot_grant_staff_status_but_assigns_roles():
    ada = user_with_role("admin", "ada")
    newcomer = User.objects.create_user(username="nick")
    operator = Group.objects.get(name="operator")

    answer = change_form_post(signed_in(ada), newcomer, is_staff="on", groups=[str(operator.pk)])

    assert answer.status_code == 302, answer.content[:2000]
    newcomer.refresh_from_db()
    assert not newcomer.is_staff
    assert list(newcomer.groups.values_list("name", flat=True)) == ["operator"]


def test_an_admin_cannot_change_a_superusers_account_or_password():
    ada = user_with_role("admin", "ada")
    root = User.objects.create_superuser(username="root", password="a-long-enough-password")
    browser = signed_in(ada)

    change = change_form_post(browser, root, is_superuser="")
    password = browser.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "taken-over-password-1", "password2": "taken-over-password-1"},
    )
    delete = browser.post(f"/admin/auth/user/{root.pk}/delete/", {"post": "yes"})

    assert change.status_code == 403
    assert password.status_code == 403
    assert delete.status_code == 403
    root.refresh_from_db()
    assert root.is_superuser
    assert root.check_password("a-long-enough-password")


def test_a_superuser_grants_superuser_status_and_it_is_audited():
    root = User.objects.create_superuser(username="root", password="a-long-enough-password")
    ada = user_with_role("admin", "ada")

    answer = change_form_post(signed_in(root), ada, is_superuser="on", is_staff="on")

    assert answer.status_code == 302, answer.content[:2000]
    ada.refresh_from_db()
    assert ada.is_superuser
    event = AuditEvent.objects.filter(target_repr__contains="ada").order_by("-pk").first()
    assert event is not None
    assert "is_superuser" in str(event.detail), event.detail

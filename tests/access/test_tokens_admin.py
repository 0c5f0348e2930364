"""Personal API tokens in the admin: own tokens for every staff user, everyone's for admins."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from apps.access import services
from apps.access.models import ApiToken
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/access/apitoken/"


@pytest.fixture
def staff():
    return get_user_model().objects.create_user(username="sam", is_staff=True)  # no role, no permission


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_staff_user_creates_a_token_and_sees_its_value_once(staff):
    client = admin_client(staff)

    page = client.post(f"{CHANGELIST}add/", {"name": "laptop", "expires_in_days": "14"})

    assert page.status_code == 200
    value = re.search(rb'id="api-token-value"[^>]*>(fleet_[0-9a-f]+)<', page.content).group(1).decode()
    token = ApiToken.objects.get(user=staff)
    assert token.name == "laptop"
    assert value.startswith(token.token_key)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {value}")
    assert api.get("/api/auth/tokens/").json()["results"][0]["name"] == "laptop"
    # Later pages show the key's first characters, never the value.
    listing = client.get(CHANGELIST)
    detail = client.get(f"{CHANGELIST}{token.pk}/change/")
    for later in (listing, detail):
        assert later.status_code == 200
        assert token.token_key.encode() in later.content
        assert value.encode() not in later.content


def test_the_expiry_in_the_admin_is_bounded(staff, settings):
    settings.API_TOKEN_MAX_TTL_DAYS = 30

    page = admin_client(staff).post(f"{CHANGELIST}add/", {"name": "too long", "expires_in_days": "31"})

    assert page.status_code == 200
    assert b"less than or equal to 30" in page.content
    assert not ApiToken.objects.exists()


def test_a_staff_user_sees_and_revokes_only_their_own_tokens(staff):
    mine, _ = services.token_create(user=staff, name="mine", expires_in_days=10)
    theirs, _ = services.token_create(user=user_with_role("viewer", "vera"), name="theirs", expires_in_days=10)
    client = admin_client(staff)

    listing = client.get(CHANGELIST)
    assert b"mine" in listing.content
    assert b"theirs" not in listing.content
    assert client.get(f"{CHANGELIST}{theirs.pk}/delete/").status_code in (302, 403, 404)
    client.post(f"{CHANGELIST}{theirs.pk}/delete/", {"post": "yes"})
    assert ApiToken.objects.filter(pk=theirs.pk).exists()

    client.post(f"{CHANGELIST}{mine.pk}/delete/", {"post": "yes"})
    assert not ApiToken.objects.filter(pk=mine.pk).exists()


def test_an_admin_sees_everyones_tokens_and_revokes_them(staff):
    services.token_create(user=staff, name="sam's laptop", expires_in_days=10)
    client = admin_client(user_with_role("admin", "ada"))

    listing = client.get(CHANGELIST)
    token = ApiToken.objects.get(user=staff)
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"})

    assert b"sam&#x27;s laptop" in listing.content
    assert not ApiToken.objects.exists()


def test_a_token_cannot_be_edited(staff):
    token, _ = services.token_create(user=staff, name="fixed", expires_in_days=10)

    admin_client(staff).post(f"{CHANGELIST}{token.pk}/change/", {"name": "renamed"})

    token.refresh_from_db()
    assert token.name == "fixed"

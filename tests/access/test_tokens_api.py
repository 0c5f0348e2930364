"""Personal API tokens over the API: create (value shown once), list, use, revoke; expiry."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from apps.access.models import ApiToken
from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password"


@pytest.fixture
def viewer():
    return user_with_role("viewer", "vera", password=PASSWORD)


def client_with_token(value: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {value}")
    return client


def test_a_created_token_is_shown_once_and_then_authenticates_requests(viewer):
    created = api_client_as(viewer).post(
        "/api/auth/tokens/", {"name": "ci deploys", "expires_in_days": 30}, format="json"
    )

    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "name", "token_key", "created", "expiry", "last_used_at", "token"}
    assert body["name"] == "ci deploys"
    assert body["token"].startswith("fleet_")
    assert body["token"].startswith(body["token_key"])
    stored = ApiToken.objects.get(pk=body["id"])
    assert body["token"] not in {stored.digest, stored.token_key}  # only the digest is kept
    assert abs(stored.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert client_with_token(body["token"]).get("/api/servers/").status_code == 200
    listed = api_client_as(viewer).get("/api/auth/tokens/").json()["results"]
    assert [token["name"] for token in listed] == ["ci deploys"]
    assert "token" not in listed[0]
    assert "digest" not in listed[0]


def test_bearer_is_accepted_as_well_as_token(viewer):
    value = api_client_as(viewer).post("/api/auth/tokens/", {"name": "curl"}, format="json").json()["token"]

    assert client_with_token(value, "Bearer").get("/api/servers/").status_code == 200
    assert client_with_token(value, "bearer").get("/api/servers/").status_code == 200


def test_the_expiry_defaults_to_the_setting_and_is_bounded(viewer, settings):
    settings.API_TOKEN_DEFAULT_TTL_DAYS = 7
    settings.API_TOKEN_MAX_TTL_DAYS = 30
    client = api_client_as(viewer)

    default = client.post("/api/auth/tokens/", {"name": "default"}, format="json")
    too_long = client.post("/api/auth/tokens/", {"name": "long", "expires_in_days": 31}, format="json")
    zero = client.post("/api/auth/tokens/", {"name": "zero", "expires_in_days": 0}, format="json")
    nameless = client.post("/api/auth/tokens/", {}, format="json")

    expiry = ApiToken.objects.get(pk=default.json()["id"]).expiry
    assert abs(expiry - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert too_long.status_code == 400
    assert "30" in too_long.json()["expires_in_days"][0]
    assert zero.status_code == 400
    assert "expires_in_days" in zero.json()
    assert nameless.status_code == 400
    assert "name" in nameless.json()


def test_an_expired_token_fails_like_an_invalid_one(viewer):
    value = api_client_as(viewer).post("/api/auth/tokens/", {"name": "old"}, format="json").json()["token"]
    ApiToken.objects.filter(user=viewer).update(expiry=timezone.now() - timedelta(seconds=1))

    expired = client_with_token(value).get("/api/servers/")
    invalid = client_with_token("fleet_0123456789abcdef").get("/api/servers/")

    assert expired.status_code == invalid.status_code == 401
    assert expired.json() == invalid.json()


def test_last_used_at_is_written_at_most_once_a_minute(viewer):
    value = api_client_as(viewer).post("/api/auth/tokens/", {"name": "busy"}, format="json").json()["token"]
    token = ApiToken.objects.get(user=viewer)
    assert token.last_used_at is None
    client = client_with_token(value)

    client.get("/api/servers/")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get("/api/servers/")
    second = ApiToken.objects.get(pk=token.pk).last_used_at
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/servers/")
    third = ApiToken.objects.get(pk=token.pk).last_used_at

    assert first is not None
    assert second == first
    assert timezone.now() - third < timedelta(seconds=10)


def test_a_user_lists_and_revokes_only_their_own_tokens(viewer):
    other = user_with_role("viewer", "otto")
    other_value = api_client_as(other).post("/api/auth/tokens/", {"name": "otto's"}, format="json").json()["token"]
    other_id = ApiToken.objects.get(user=other).pk
    mine = api_client_as(viewer).post("/api/auth/tokens/", {"name": "mine"}, format="json").json()
    client = api_client_as(viewer)

    assert [token["name"] for token in client.get("/api/auth/tokens/").json()["results"]] == ["mine"]
    assert client.get(f"/api/auth/tokens/{other_id}/").status_code == 404
    assert client.delete(f"/api/auth/tokens/{other_id}/").status_code == 404
    assert client_with_token(other_value).get("/api/servers/").status_code == 200

    assert client.delete(f"/api/auth/tokens/{mine['id']}/").status_code == 204
    assert client_with_token(mine["token"]).get("/api/servers/").status_code == 401
    assert not ApiToken.objects.filter(pk=mine["id"]).exists()


def test_a_signed_in_user_without_a_role_manages_their_tokens():
    user = get_user_model().objects.create_user(username="norole")
    client = api_client_as(user)

    created = client.post("/api/auth/tokens/", {"name": "mine"}, format="json")

    assert created.status_code == 201
    assert client.get("/api/auth/tokens/").status_code == 200
    assert client_with_token(created.json()["token"]).get("/api/servers/").status_code == 403  # no role
    assert APIClient().get("/api/auth/tokens/").status_code == 401


def test_creating_and_revoking_are_audited_once_each_without_the_value(viewer):
    client = api_client_as(viewer)
    created = client.post("/api/auth/tokens/", {"name": "audited"}, format="json").json()
    client.delete(f"/api/auth/tokens/{created['id']}/")

    events = AuditEvent.objects.filter(action__in=[AuditAction.TOKEN_CREATE, AuditAction.TOKEN_REVOKE])
    assert sorted(event.action for event in events) == sorted([AuditAction.TOKEN_CREATE, AuditAction.TOKEN_REVOKE])
    for event in events:
        assert event.detail["name"] == "audited"
        assert event.target_id == str(created["id"])
        assert event.actor == viewer
        assert created["token"] not in repr(event.__dict__)
        assert created["token_key"] not in repr(event.__dict__)


def test_logins_past_the_cap_revoke_the_oldest_login_tokens_only(viewer, settings):
    settings.API_LOGIN_TOKENS_PER_USER = 3
    personal = APIClient()
    personal.force_authenticate(viewer)
    created = personal.post("/api/auth/tokens/", {"name": "ci deploys"}, format="json").json()["token"]
    logins = [
        APIClient().post("/api/auth/token/", {"username": "vera", "password": PASSWORD}, format="json").json()["token"]
        for _ in range(5)
    ]

    assert ApiToken.objects.filter(user=viewer, name="login").count() == 3
    # The two oldest stop working, the three newest and the personal token go on.
    assert [client_with_token(value).get("/api/servers/").status_code for value in logins] == [401, 401, 200, 200, 200]
    assert client_with_token(created).get("/api/servers/").status_code == 200
    revoked = AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKE)
    assert revoked.count() == 2

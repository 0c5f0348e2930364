"""POST /api/auth/token/, the authentication requirement, pagination and the OpenAPI schema."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from apps.access.models import ApiToken
from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password"


@pytest.fixture
def operator():
    return user_with_role("operator", "operator", password=PASSWORD)


def test_token_endpoint_returns_a_short_lived_token_that_authenticates_api_requests(operator, settings):
    settings.API_LOGIN_TOKEN_TTL_HOURS = 10
    client = APIClient()

    response = client.post("/api/auth/token/", {"username": "operator", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    stored = ApiToken.objects.get(user=operator)
    assert stored.name == "login"
    assert body["token"].startswith(stored.token_key)
    expiry = parse_datetime(body["expiry"])
    assert abs(expiry - (timezone.now() + timedelta(hours=10))) < timedelta(minutes=1)
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/periodic-tasks/").status_code == 200
    issued = AuditEvent.objects.get(action=AuditAction.TOKEN_CREATE)
    assert issued.actor == operator
    assert body["token"] not in repr(issued.__dict__)


def test_each_login_issues_a_new_token_and_both_work(operator):
    first = APIClient().post("/api/auth/token/", {"username": "operator", "password": PASSWORD}, format="json")
    second = APIClient().post("/api/auth/token/", {"username": "operator", "password": PASSWORD}, format="json")

    assert first.json()["token"] != second.json()["token"]
    for value in (first.json()["token"], second.json()["token"]):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {value}")
        assert client.get("/api/periodic-tasks/").status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_400_without_a_token(operator):
    wrong_password = APIClient().post("/api/auth/token/", {"username": "operator", "password": "x"}, format="json")
    unknown_user = APIClient().post("/api/auth/token/", {"username": "nobody", "password": "x"}, format="json")

    assert wrong_password.status_code == unknown_user.status_code == 400
    assert wrong_password.json() == unknown_user.json()
    assert set(wrong_password.json()) == {"non_field_errors"}
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(operator):
    operator.is_active = False
    operator.save()

    response = APIClient().post("/api/auth/token/", {"username": "operator", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_endpoint_reports_missing_fields():
    response = APIClient().post("/api/auth/token/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/periodic-tasks/"), ("post", "/api/periodic-tasks/1/run/"), ("get", "/api/system/heartbeat/")],
)
def test_an_unauthenticated_request_gets_401(method, path):
    response = getattr(APIClient(), method)(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Bearer not-a-real-token", "Token", "Token a b"])
def test_an_invalid_token_gets_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get("/api/periodic-tasks/").status_code == 401


def test_list_endpoints_are_paginated(operator):
    client = APIClient()
    client.force_authenticate(operator)

    body = client.get("/api/periodic-tasks/").json()

    assert set(body) == {"count", "next", "previous", "results"}


def test_openapi_schema_and_swagger_ui_are_served(operator):
    client = APIClient()
    client.force_authenticate(operator)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/auth/token/", "/api/auth/tokens/", "/api/periodic-tasks/", "/api/periodic-tasks/{id}/run/"} <= set(
        paths
    )
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_run_now_of_an_unknown_periodic_task_is_404(operator):
    client = APIClient()
    client.force_authenticate(operator)

    response = client.post("/api/periodic-tasks/999999/run/")

    assert response.status_code == 404
    assert "999999" in response.json()["detail"]


def test_a_user_without_a_role_gets_a_token_but_no_access():
    get_user_model().objects.create_user(username="plain", password=PASSWORD)
    value = APIClient().post("/api/auth/token/", {"username": "plain", "password": PASSWORD}, format="json").json()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {value['token']}")
    assert client.get("/api/periodic-tasks/").status_code == 403

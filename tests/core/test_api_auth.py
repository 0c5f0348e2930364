"""Token authentication, the authentication requirement, pagination and the OpenAPI schema."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return get_user_model().objects.create_user(username="operator", password="a-long-enough-password")


def test_token_endpoint_returns_a_token_that_authenticates_api_requests(operator):
    client = APIClient()

    response = client.post(
        "/api/auth/token/", {"username": "operator", "password": "a-long-enough-password"}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=operator).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/periodic-tasks/").status_code == 200


def test_token_endpoint_rejects_a_wrong_password_with_a_400_and_no_token(operator):
    response = APIClient().post("/api/auth/token/", {"username": "operator", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert "token" not in response.json()
    assert response.json()["non_field_errors"]


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


def test_an_invalid_token_gets_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/api/periodic-tasks/").status_code == 401


def test_list_endpoints_are_paginated(operator):
    client = APIClient()
    client.force_authenticate(operator)

    body = client.get("/api/periodic-tasks/").json()

    assert set(body) == {"count", "next", "previous", "results"}


def test_openapi_schema_and_swagger_ui_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/auth/token/", "/api/periodic-tasks/", "/api/periodic-tasks/{id}/run/"} <= set(paths)
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_run_now_of_an_unknown_periodic_task_is_404(operator):
    client = APIClient()
    client.force_authenticate(operator)

    response = client.post("/api/periodic-tasks/999999/run/")

    assert response.status_code == 404
    assert "999999" in response.json()["detail"]

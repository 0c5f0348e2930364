"""Where a newcomer starts: /api/ says what the API holds, / leads to the admin, /api/docs/ to a
login page, and no URL shows Django's page listing every route."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.access.test_route_permissions import schema_routes
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_api_root_links_every_collection_the_schema_and_the_docs_and_says_the_version():
    client = api_client_as(user_with_role("admin", "boss"))

    response = client.get("/api/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert body["api_version"]
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["mcp"] == f"http://testserver:{settings.MCP_PORT}/mcp"  # the MCP server, as docs/mcp.md says
    listed = {link.removeprefix("http://testserver") for link in body["collections"].values()}
    # A collection: a GET route of the schema without a path parameter that answers a page of results.
    schema_lists = {
        path
        for method, path in schema_routes()
        if method == "GET"
        and "{" not in path
        and path not in ("/api/", "/api/projects/search/")
        and not path.startswith("/api/system/")
    }
    assert listed == schema_lists
    for link in listed:
        answer = client.get(link)
        assert answer.status_code == 200, link
        assert "results" in answer.json(), link


def test_any_signed_in_user_may_read_the_root_and_an_anonymous_caller_gets_401():
    from django.contrib.auth import get_user_model

    no_role = api_client_as(get_user_model().objects.create_user(username="plain"))

    assert no_role.get("/api/").status_code == 200
    anonymous = APIClient().get("/api/")
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"]


def test_the_site_root_leads_to_the_admin():
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_the_docs_page_sends_a_browser_without_a_session_to_the_login_and_back():
    browser = Client()

    response = browser.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/api/docs/"
    assert browser.get(response["Location"]).status_code == 200
    user = user_with_role("viewer", "reader", password="reader-password-1")
    signed_in = browser.post(
        "/admin/login/?next=/api/docs/",
        {"username": user.username, "password": "reader-password-1", "next": "/api/docs/"},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/api/docs/"
    page = browser.get("/api/docs/")
    assert page.status_code == 200
    assert b"swagger" in page.content.lower()


def test_a_wrong_token_at_the_docs_page_is_still_a_401():
    response = APIClient().get("/api/docs/", HTTP_AUTHORIZATION="Token fleet_not-a-token")

    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/servers/1/nothing/", "/api/nothing"])
def test_an_unknown_api_url_is_a_json_404_even_with_debug_on(settings, path):
    settings.DEBUG = True
    client = Client()

    response = client.get(path, follow=True)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert b"URLconf" not in response.content


def test_a_post_to_an_unknown_api_url_with_a_session_is_a_json_404_not_a_csrf_page():
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_role("operator", "poster"))

    response = client.post("/api/servers/true/health-check/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}

"""CORS, production's security headers and cookies, and the request body limit."""

import json
import textwrap

import pytest
from rest_framework.test import APIClient

from tests.core.test_production_settings import VALID_PRODUCTION_ENV, run_django
from tests.fakes.redis_server import RedisServer
from tests.roles import api_client_with_role


def preflight(origin: str):
    return APIClient().options(
        "/api/servers/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_a_preflight_from_an_allowed_origin_is_answered_and_others_are_not(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://ops.example.com"]

    allowed = preflight("https://ops.example.com")
    other = preflight("https://evil.example.net")

    assert allowed["Access-Control-Allow-Origin"] == "https://ops.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.django_db
def test_an_oversized_body_gets_413_saying_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    big = json.dumps({"name": "x" * 4096})

    personal = api_client_with_role("viewer").post("/api/auth/tokens/", big, content_type="application/json")
    login = APIClient().post(
        "/api/auth/token/", json.dumps({"username": "x" * 4096, "password": "y"}), content_type="application/json"
    )
    small = api_client_with_role("viewer", "small").post("/api/auth/tokens/", {"name": "fits"}, format="json")

    for response in (personal, login):
        assert response.status_code == 413
        assert "2048 bytes" in response.json()["detail"]
    assert small.status_code == 201


PRODUCTION_PROBE = textwrap.dedent(
    """
    import json
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="fleet.example.com")
    secure = client.get("/api/servers/", secure=True)
    plain = client.get("/api/servers/")
    health = client.get("/health/live")
    print(json.dumps({
        "secure_status": secure.status_code,
        "secure_headers": dict(secure.headers),
        "plain_status": plain.status_code,
        "plain_location": plain.headers.get("Location"),
        "health_status": health.status_code,
        "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
        "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
        "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
        "cache_backend": settings.CACHES["default"]["BACKEND"],
        "renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
    }))
    """
)


def test_production_sends_security_headers_redirects_to_https_and_secures_cookies(tmp_path):
    # Anonymous requests are counted in the cache, so production's Redis cache must answer.
    cache = RedisServer(tmp_path / "redis")
    cache.start()
    try:
        result = run_django({**VALID_PRODUCTION_ENV, "CACHE_URL": cache.url}, "shell", "-c", PRODUCTION_PROBE)
    finally:
        cache.stop()
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    headers = probe["secure_headers"]
    assert probe["secure_status"] == 401
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://fleet.example.com/api/servers/"
    assert probe["health_status"] == 200  # probes speak plain HTTP inside the network
    assert probe["session_cookie_secure"] is True
    assert probe["session_cookie_httponly"] is True
    assert probe["csrf_cookie_secure"] is True
    assert probe["cache_backend"] == "django.core.cache.backends.redis.RedisCache"  # throttle counts are shared
    assert probe["renderers"] == ["rest_framework.renderers.JSONRenderer"]


def test_production_refuses_a_wildcard_cors_origin():
    result = run_django({**VALID_PRODUCTION_ENV, "CORS_ALLOWED_ORIGINS": "https://ops.example.com,*"}, "check")

    assert result.returncode != 0
    assert "CORS_ALLOWED_ORIGINS contains '*'" in result.stderr

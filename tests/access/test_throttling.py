"""Request rates: per user and per anonymous IP on the API, failed logins on the token endpoint and the admin."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-password"


def rates(**scopes: str):
    """override_settings with these throttle rates (it reloads DRF's api_settings)."""
    merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes}
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged})


@pytest.fixture
def viewer():
    return user_with_role("viewer", "vera", password=PASSWORD)


def login(username: str, password: str, address: str = "203.0.113.1", **extra):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **extra
    )


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_a_user_over_the_rate_gets_429_with_retry_after(viewer):
    client = api_client_as(viewer)
    with rates(user="3/min"):
        answers = [client.get("/api/servers/") for _ in range(4)]

    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    assert_throttled(answers[3])
    assert "throttled" in answers[3].json()["detail"].lower()
    # Another user has a budget of their own.
    with rates(user="3/min"):
        assert api_client_as(user_with_role("viewer", "other")).get("/api/servers/").status_code == 200


class PublicApi(APIView):
    """An endpoint open to anonymous callers, with the default throttles."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("public/", PublicApi.as_view())]


@pytest.mark.urls(__name__)
def test_anonymous_callers_are_limited_per_client_ip():
    with rates(anon="2/min"):
        first_ip = [APIClient().get("/public/", REMOTE_ADDR="203.0.113.7").status_code for _ in range(3)]
        second_ip = APIClient().get("/public/", REMOTE_ADDR="203.0.113.8")
        spoofed = APIClient().get("/public/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert first_ip == [200, 200, 429]
    assert second_ip.status_code == 200
    # With NUM_PROXIES=0 (no proxy in front) X-Forwarded-For is the client's own words: ignored.
    assert spoofed.status_code == 429


@pytest.mark.urls(__name__)
def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for():
    with override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "NUM_PROXIES": 1,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "1/min"},
        }
    ):
        via_proxy = [
            APIClient().get("/public/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client).status_code
            for client in ("198.51.100.1", "198.51.100.2", "198.51.100.1")
        ]

    assert via_proxy == [200, 200, 429]


def test_failed_logins_are_limited_per_client_ip(viewer):
    with rates(login="3/min"):
        failures = [login("vera", "wrong").status_code for _ in range(3)]
        right_password = login("vera", PASSWORD)
        other_username = login("someone-else", "wrong")
        other_ip = login("someone-else", "wrong", address="203.0.113.99")

    assert failures == [400, 400, 400]
    assert_throttled(right_password)
    assert "token" not in right_password.json()
    assert_throttled(other_username)
    assert other_ip.status_code == 400


def test_failed_logins_are_limited_per_username_across_addresses(viewer):
    with rates(login="3/min"):
        failures = [login("VERA", "wrong", address=f"203.0.113.{n}").status_code for n in range(3)]
        from_a_fresh_address = login("vera", PASSWORD, address="198.51.100.50")

    assert failures == [400, 400, 400]
    assert_throttled(from_a_fresh_address)


def test_successful_logins_do_not_use_up_the_limit(viewer):
    with rates(login="2/min"):
        answers = [login("vera", PASSWORD).status_code for _ in range(5)]

    assert answers == [200] * 5


def test_health_endpoints_are_not_throttled():
    with rates(anon="1/min", user="1/min"):
        answers = [Client().get("/health/live").status_code for _ in range(5)]

    assert answers == [200] * 5


@pytest.fixture
def staff():
    return get_user_model().objects.create_user(username="sam", password=PASSWORD, is_staff=True)


def admin_login(username: str, password: str, address: str = "203.0.113.1"):
    return Client().post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_failed_admin_logins_are_limited_with_a_429_page(staff):
    with rates(login="3/min"):
        failures = [admin_login("sam", "wrong").status_code for _ in range(3)]
        blocked = admin_login("sam", PASSWORD)
        login_page = Client().get("/admin/login/", REMOTE_ADDR="203.0.113.1")
        other_address_same_user = admin_login("sam", PASSWORD, address="198.51.100.9")

    assert failures == [200, 200, 200]  # the form again, with its error
    assert_throttled(blocked)
    assert b"Too many failed login attempts" in blocked.content
    assert "_auth_user_id" not in blocked.wsgi_request.session
    assert login_page.status_code == 200
    assert_throttled(other_address_same_user)


def test_successful_admin_logins_do_not_use_up_the_limit(staff):
    with rates(login="2/min"):
        answers = [admin_login("sam", PASSWORD).status_code for _ in range(4)]

    assert answers == [302] * 4


def test_api_and_admin_failures_share_one_budget(staff):
    with rates(login="2/min"):
        login("sam", "wrong")
        admin_login("sam", "wrong")

        assert_throttled(admin_login("sam", PASSWORD, address="198.51.100.3"))
        assert_throttled(login("sam", PASSWORD, address="198.51.100.3"))

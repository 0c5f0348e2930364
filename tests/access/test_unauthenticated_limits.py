"""Requests that never authenticate are limited per address, though permissions refuse them first.

DRF checks permissions before throttles, so without a limit while authenticating an anonymous
flood or a token guesser would only ever see 401. The rates are the shipped defaults.
"""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.access import services
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
NEIGHBOUR = "198.51.100.20"


def rate_of(scope: str) -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def test_anonymous_requests_to_a_closed_endpoint_are_throttled_per_address():
    answers = [APIClient().get("/api/servers/", REMOTE_ADDR=ATTACKER) for _ in range(300)]
    codes = [answer.status_code for answer in answers]

    allowed = rate_of("anon")
    assert set(codes[:allowed]) == {401}
    assert set(codes[allowed:]) == {429}
    assert int(answers[-1]["Retry-After"]) > 0
    # Another address has a budget of its own.
    assert APIClient().get("/api/servers/", REMOTE_ADDR=NEIGHBOUR).status_code == 401


def test_requests_with_an_invalid_token_are_throttled_per_address():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token fleet_" + "0" * 64)
    answers = [client.get("/api/servers/", REMOTE_ADDR=ATTACKER) for _ in range(150)]
    codes = [answer.status_code for answer in answers]

    allowed = rate_of("auth_failure")
    assert set(codes[:allowed]) == {401}
    assert set(codes[allowed:]) == {429}
    assert int(answers[-1]["Retry-After"]) > 0
    # Malformed headers count as failures too.
    malformed = APIClient()
    malformed.credentials(HTTP_AUTHORIZATION="Bearer")
    assert malformed.get("/api/servers/", REMOTE_ADDR=ATTACKER).status_code == 429


def test_a_right_token_is_not_slowed_by_its_own_requests_and_is_refused_only_from_a_guessing_address():
    _, secret = services.token_create(user=user_with_role("viewer", "vera"), name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    # Right tokens are never counted as failures: far more requests than the failure budget pass.
    codes = {client.get("/api/servers/", REMOTE_ADDR=NEIGHBOUR).status_code for _ in range(2 * rate_of("auth_failure"))}
    assert codes == {200}

    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Token fleet_wrong")
    for _ in range(rate_of("auth_failure")):
        guesser.get("/api/servers/", REMOTE_ADDR=ATTACKER)
    # Once an address used up its failures, no token is tried from it until the window ends.
    assert client.get("/api/servers/", REMOTE_ADDR=ATTACKER).status_code == 429
    assert client.get("/api/servers/", REMOTE_ADDR=NEIGHBOUR).status_code == 200

"""Who gets through to the MCP endpoint: a personal API token (Token or Bearer), in the host the
platform is served under, within the API's request rate. Everyone else gets a clear refusal."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from mcp.shared.exceptions import MCPError

from apps.access.models import ApiToken
from tests.mcp_server.client import call, tool_names
from tests.mcp_server.conftest import expire, token_for
from tests.mcp_server.process import DIRECT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}


def post(url: str, *, headers: dict[str, str] | None = None, body: dict | None = None) -> tuple[int, Any, dict]:
    """(status, headers, JSON body) of a raw POST to the endpoint."""
    request = urllib.request.Request(  # noqa: S310  (http://127.0.0.1 only)
        url,
        data=json.dumps(body or INITIALIZE).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            **(headers or {}),
        },
    )
    try:
        with DIRECT.open(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"{}")


def test_without_a_token_the_answer_is_401_saying_what_to_send(mcp):
    status, headers, body = post(mcp.url)

    assert status == 401
    assert body["code"] == "not_authenticated"
    assert "personal API token" in body["detail"]
    assert headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Token fleet_not-a-real-token", "Bearer fleet_not-a-real-token", "Token", "Token two words"],
)
def test_a_wrong_token_is_401(mcp, authorization):
    status, _, body = post(mcp.url, headers={"Authorization": authorization})

    assert status == 401
    assert body["code"] == "not_authenticated"
    assert "fleet_not-a-real-token" not in body["detail"]


def test_an_expired_token_is_401_like_a_wrong_one(mcp):
    token = token_for("operator")
    expire(token)

    status, _, body = post(mcp.url, headers={"Authorization": f"Token {token}"})

    assert (status, body["detail"]) == (401, "Invalid token.")


def test_a_revoked_token_stops_working_at_once(mcp):
    token = token_for("viewer")
    assert tool_names(mcp.url, token)

    ApiToken.objects.all().delete()

    assert post(mcp.url, headers={"Authorization": f"Token {token}"})[0] == 401


def test_the_token_of_an_inactive_user_is_401(mcp):
    token = token_for("viewer", username="gone")
    get_user_model().objects.filter(username="gone").update(is_active=False)

    status, _, body = post(mcp.url, headers={"Authorization": f"Bearer {token}"})

    assert (status, body["detail"]) == (401, "User inactive or deleted.")


def test_the_sdk_client_cannot_connect_without_a_valid_token(mcp):
    with pytest.raises(MCPError):
        tool_names(mcp.url, "fleet_wrong")


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_both_schemes_and_both_protocol_eras_work(mcp, scheme, mode):
    names = tool_names(mcp.url, token_for("viewer"), scheme=scheme, mode=mode)

    assert "list_servers" in names


def test_a_host_outside_allowed_hosts_is_refused(mcp):
    status, _, body = post(mcp.url, headers={"Host": "evil.example.com", "Authorization": "Token x"})

    assert (status, body["code"]) == (400, "invalid_host")


def test_a_browser_page_of_another_origin_is_refused(mcp):
    token = token_for("viewer")

    status, _, body = post(mcp.url, headers={"Origin": "https://evil.example.com", "Authorization": f"Token {token}"})

    assert (status, body["code"]) == (403, "invalid_origin")


def test_past_the_api_request_rate_the_answer_is_429_with_retry_after(mcp_servers):
    server = mcp_servers(API_THROTTLE_USER_RATE="3/min")
    token = token_for("viewer")
    headers = {"Authorization": f"Token {token}"}

    statuses = [post(server.url, headers=headers)[0] for _ in range(4)]
    _, answer_headers, body = post(server.url, headers=headers)

    assert statuses == [200, 200, 200, 429]
    assert body["code"] == "throttled"
    assert 1 <= int(answer_headers["Retry-After"]) <= 60
    # Another user has a rate of their own.
    assert post(server.url, headers={"Authorization": f"Token {token_for('viewer')}"})[0] == 200


def test_every_answer_carries_a_request_id(mcp):
    _, headers, _ = post(mcp.url, headers={"X-Request-ID": "probe-123"})

    assert headers["x-request-id"] == "probe-123"


def test_a_tool_call_is_recorded_with_the_callers_address(mcp):
    token = token_for("viewer", username="watcher")

    call(mcp.url, token, "list_servers")

    from apps.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.actor_name, event.ip_address) == ("watcher", "127.0.0.1")
    assert event.request_id


def test_the_endpoint_answers_with_a_trailing_slash_too(mcp):
    assert tool_names(mcp.url + "/", token_for("viewer"), mode="legacy")

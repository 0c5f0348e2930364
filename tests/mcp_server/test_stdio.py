"""`manage.py mcp --stdio` for local clients, driven by the SDK's stdio client: the caller is the
owner of the token in MCP_API_TOKEN, checked again for every message."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from django.db import connection
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

from apps.access.models import ApiToken
from apps.audit.models import AuditEvent
from tests.conftest import REPO_ROOT, subprocess_env
from tests.mcp_server.client import run
from tests.mcp_server.conftest import token_for
from tests.mcp_server.fleet import build_fleet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def stdio_server(token: str | None, **env: str) -> StdioServerParameters:
    environment = subprocess_env(**env)
    environment.pop("MCP_API_TOKEN", None)
    if token is not None:
        environment["MCP_API_TOKEN"] = token
    return StdioServerParameters(
        command=sys.executable, args=["manage.py", "mcp", "--stdio"], env=environment, cwd=str(REPO_ROOT)
    )


def session(parameters: StdioServerParameters, errlog: Path, work):
    async def go():
        with errlog.open("w") as log:
            async with Client(stdio_client(parameters, errlog=log), read_timeout_seconds=60) as client:
                return await work(client)

    return run(go)


def test_a_viewer_lists_and_calls_read_tools_over_stdio(tmp_path):
    fleet = build_fleet()
    parameters = stdio_server(token_for("viewer", username="local-viewer"), MCP_ALLOW_WRITE="true")

    async def work(client):
        names = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("get_server", {"server_id": fleet.ready.pk})
        docs = await client.read_resource("fleet://docs/provisioning.md")
        return names, result, docs

    names, result, docs = session(parameters, tmp_path / "stderr.log", work)

    assert "get_server" in names
    assert "acknowledge_incident" not in names
    assert result.structured_content["server"]["hostname"] == fleet.ready.hostname
    assert docs.contents[0].text.startswith("#")
    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.actor_name, event.outcome, event.detail["via"]) == ("local-viewer", "success", "mcp-stdio")


def test_an_operator_acts_over_stdio_when_write_tools_are_on(tmp_path):
    fleet = build_fleet()
    parameters = stdio_server(token_for("operator", username="local-ops"), MCP_ALLOW_WRITE="true")

    async def work(client):
        return await client.call_tool("acknowledge_incident", {"incident_id": fleet.incident.pk})

    result = session(parameters, tmp_path / "stderr.log", work)

    assert result.structured_content["incident"]["acknowledged_by"] == "local-ops"
    fleet.incident.refresh_from_db()
    assert fleet.incident.status == "acknowledged"


@pytest.mark.parametrize("token", [None, "", "fleet_not-a-real-token"])
def test_without_a_valid_token_the_command_refuses_to_start(tmp_path, token):
    errlog = tmp_path / "stderr.log"

    async def work(client):
        return await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017, PT011 (the client sees only its pipe close)
        session(stdio_server(token), errlog, work)

    assert "MCP_API_TOKEN" in errlog.read_text()


def test_a_token_revoked_during_the_session_stops_working_at_once(tmp_path):
    parameters = stdio_server(token_for("viewer"))

    async def work(client):
        first = [tool.name for tool in (await client.list_tools()).tools]
        await anyio.to_thread.run_sync(revoke_every_token)
        with pytest.raises(MCPError, match="not authenticated"):
            await client.list_tools()
        return first

    assert "list_servers" in session(parameters, tmp_path / "stderr.log", work)


def revoke_every_token() -> None:
    # From the event loop's worker thread: its connection is closed again, or it would outlive the test.
    try:
        ApiToken.objects.all().delete()
    finally:
        connection.close()

"""The registry's own rules, without a server: schemas, the write switch, confirmation, mcp_url."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from apps.core.public_urls import mcp_url
from apps.mcp_server.registry import ConfirmedInput, Tool, ToolInput, tools_for
from apps.mcp_server.tools import TOOLS
from tests.roles import user_with_role


@pytest.mark.parametrize("tool", TOOLS, ids=lambda tool: tool.name)
def test_every_tool_has_an_object_schema_refusing_unknown_arguments(tool):
    schema = tool.input_schema

    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert "title" not in schema
    assert tool.description
    assert tool.title


@pytest.mark.django_db
@pytest.mark.parametrize("tool", TOOLS, ids=lambda tool: tool.name)
def test_every_tool_needs_a_permission_that_exists(tool):
    app_label, codename = tool.permission.split(".")
    assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists()


def test_only_provision_is_destructive_and_it_asks_for_confirmation():
    destructive = [tool for tool in TOOLS if tool.destructive]

    assert [tool.name for tool in destructive] == ["provision_server"]
    assert "confirm" in destructive[0].input_schema["properties"]


def test_a_destructive_tool_that_cannot_ask_for_confirmation_is_refused_at_definition():
    with pytest.raises(ValueError, match="destructive"):
        Tool("wipe", "Wipe", "wipes", ToolInput, "servers.change_server", lambda **_: {}, writes=True, destructive=True)
    Tool("wipe", "Wipe", "wipes", ConfirmedInput, "servers.change_server", lambda **_: {}, True, True, "sure?")


@pytest.mark.django_db
def test_the_write_switch_decides_for_every_role(settings):
    operator = user_with_role("operator", "ops")
    settings.MCP_ALLOW_WRITE = False
    off = {tool.name for tool in tools_for(operator)}
    settings.MCP_ALLOW_WRITE = True
    on = {tool.name for tool in tools_for(operator)}

    assert on - off == {tool.name for tool in TOOLS if tool.writes}
    assert not any(tool.writes for tool in TOOLS if tool.name in off)


def test_mcp_url_is_the_public_url_when_set(settings):
    settings.MCP_PUBLIC_URL = "https://fleet.example.com/mcp"

    assert mcp_url(RequestFactory().get("/api/")) == "https://fleet.example.com/mcp"


def test_mcp_url_is_the_api_host_on_the_mcp_port_otherwise(settings):
    settings.MCP_PUBLIC_URL = ""
    settings.MCP_PORT = 8123

    request = RequestFactory().get("/api/", HTTP_HOST="127.0.0.1:8000")

    assert mcp_url(request) == "http://127.0.0.1:8123/mcp"

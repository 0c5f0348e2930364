"""Every tool, for every role, through the SDK's client against a running MCP server: what each role
sees in tools/list, and what each call answers and leaves in the audit trail."""

from __future__ import annotations

import json

import pytest
from mcp.shared.exceptions import MCPError

from apps.audit.models import AuditEvent
from tests.fakes.time4vps_records import DEFAULT_OSES
from tests.mcp_server.client import call, tool_names
from tests.mcp_server.conftest import ROLES, token_for
from tests.mcp_server.fleet import SECRETS, build_fleet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

READ_TOOLS = {
    "fleet_summary",
    "list_servers",
    "get_server",
    "list_provider_accounts",
    "server_health_history",
    "list_incidents",
    "list_provisioning_runs",
    "get_provisioning_run",
    "search_docs",
    "list_github_accounts",
}
WRITE_TOOLS = {
    "sync_provider_account",
    "acknowledge_incident",
    "run_health_check",
    "provision_server",
    "sync_github_account",
}

ARGUMENTS = {
    "fleet_summary": lambda fleet: {},
    "list_servers": lambda fleet: {"lifecycle": ["ready"]},
    "get_server": lambda fleet: {"server_id": fleet.failing.pk},
    "list_provider_accounts": lambda fleet: {},
    "server_health_history": lambda fleet: {"server_id": fleet.failing.pk},
    "list_incidents": lambda fleet: {},
    "list_provisioning_runs": lambda fleet: {"status": ["failed"]},
    "get_provisioning_run": lambda fleet: {"run_id": fleet.run.pk, "tail": 5},
    "search_docs": lambda fleet: {"q": "deploy"},
    "list_github_accounts": lambda fleet: {},
    "sync_provider_account": lambda fleet: {"account_id": fleet.account.pk},
    "acknowledge_incident": lambda fleet: {"incident_id": fleet.incident.pk},
    "run_health_check": lambda fleet: {"server_id": fleet.ready.pk},
    "provision_server": lambda fleet: {
        "server_id": fleet.discovered.pk,
        "os": DEFAULT_OSES[0]["os"],
        "confirm": True,
    },
    "sync_github_account": lambda fleet: {"account_id": fleet.github.pk},
}

# What a user checks in each answer.
EXPECTED = {
    "fleet_summary": lambda data, fleet: data["servers"]["by_lifecycle"]["Ready"] == 1,
    "list_servers": lambda data, fleet: [row["hostname"] for row in data["servers"]] == [fleet.ready.hostname],
    "get_server": lambda data, fleet: data["server"]["hostname"] == fleet.failing.hostname,
    "list_provider_accounts": lambda data, fleet: [row["name"] for row in data["accounts"]] == [fleet.account.name],
    "server_health_history": lambda data, fleet: [c["outcome"] for c in data["checks"]] == ["unreachable", "healthy"],
    "list_incidents": lambda data, fleet: [row["id"] for row in data["incidents"]] == [fleet.incident.pk],
    "list_provisioning_runs": lambda data, fleet: [row["id"] for row in data["runs"]] == [fleet.run.pk],
    "get_provisioning_run": lambda data, fleet: [e["seq"] for e in data["output_tail"]] == [26, 27, 28, 29, 30],
    "search_docs": lambda data, fleet: data["results"] == [],
    "list_github_accounts": lambda data, fleet: [row["organization"] for row in data["accounts"]] == ["acme"],
    "sync_provider_account": lambda data, fleet: data["status"] == "queued" and data["sync_run_id"] > 0,
    "acknowledge_incident": lambda data, fleet: data["incident"]["status"] == "acknowledged",
    "run_health_check": lambda data, fleet: data["queued_batches"] == 1,
    "provision_server": lambda data, fleet: data["status"] == "queued" and data["run_id"] > 0,
    "sync_github_account": lambda data, fleet: data["status"] == "queued" and data["sync_run_id"] > 0,
}


def test_the_tool_tables_cover_every_registered_tool():
    from apps.mcp_server.tools import TOOLS

    assert {tool.name for tool in TOOLS} == READ_TOOLS | WRITE_TOOLS == set(ARGUMENTS) == set(EXPECTED)
    assert {tool.name for tool in TOOLS if tool.writes} == WRITE_TOOLS


@pytest.mark.parametrize("role", ROLES)
def test_tools_list_shows_exactly_what_the_role_may_call(mcp, role):
    names = tool_names(mcp.url, token_for(role))

    assert set(names) == (READ_TOOLS if role == "viewer" else READ_TOOLS | WRITE_TOOLS)


@pytest.mark.parametrize("role", ROLES)
def test_with_write_tools_off_no_role_sees_one(mcp_read_only, role):
    assert set(tool_names(mcp_read_only.url, token_for(role))) == READ_TOOLS


def test_a_user_without_a_role_sees_no_tool(mcp):
    assert tool_names(mcp.url, token_for(None)) == []


# They record sync runs, which refer to content types: see the fresh_mcp fixture.
RECORD_SYNC_RUNS = {"sync_provider_account", "sync_github_account"}


@pytest.mark.parametrize("tool", sorted(READ_TOOLS | WRITE_TOOLS))
@pytest.mark.parametrize("role", ROLES)
def test_every_tool_answers_every_role_as_the_role_allows(mcp, fresh_mcp, fake_provider, clean_broker, role, tool):
    if tool in RECORD_SYNC_RUNS and role != "viewer":
        mcp = fresh_mcp(MCP_ALLOW_WRITE="true")
    fleet = build_fleet(fake_provider)
    arguments = ARGUMENTS[tool](fleet)
    token = token_for(role, username=f"{role}-caller")

    if role == "viewer" and tool in WRITE_TOOLS:
        with pytest.raises(MCPError, match=f"your role does not allow {tool}"):
            call(mcp.url, token, tool, arguments)
        outcome = "denied"
    else:
        result = call(mcp.url, token, tool, arguments)
        assert not result.is_error, result.content
        assert EXPECTED[tool](result.structured_content, fleet), result.structured_content
        assert json.loads(result.content[0].text) == result.structured_content
        text = result.content[0].text
        assert not [name for name, secret in SECRETS.items() if secret in text]
        outcome = "success"

    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.actor_name, event.target_id, event.outcome) == (f"{role}-caller", tool, outcome)
    assert event.detail["tool"] == tool
    assert event.detail["via"] == "mcp-http"
    assert event.detail["arguments"] == arguments


@pytest.mark.parametrize("tool", sorted(WRITE_TOOLS))
def test_with_write_tools_off_an_operator_calling_one_is_refused_and_nothing_changes(
    mcp_read_only, fake_provider, tool
):
    fleet = build_fleet(fake_provider)
    token = token_for("operator", username="ops")

    with pytest.raises(MCPError, match="write tools are switched off"):
        call(mcp_read_only.url, token, tool, ARGUMENTS[tool](fleet))

    fleet.incident.refresh_from_db()
    assert fleet.incident.status == "open"
    assert not AuditEvent.objects.exclude(action="mcp.tool_call").filter(actor_name="ops").exists()
    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.outcome, event.detail["tool"]) == ("denied", tool)
    assert "MCP_ALLOW_WRITE" in event.detail["error"]

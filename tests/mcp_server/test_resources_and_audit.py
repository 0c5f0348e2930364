"""Over HTTP: the docs resources, and what the audit trail says about calls and the work they caused."""

from __future__ import annotations

import pytest
from mcp.shared.exceptions import MCPError

from apps.audit.models import AuditEvent
from apps.mcp_server.resources import DOC_PAGES
from tests.mcp_server.client import call, connected, run
from tests.mcp_server.conftest import token_for
from tests.mcp_server.fleet import build_fleet

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_every_role_reads_the_platforms_docs(mcp):
    token = token_for("viewer")

    async def go():
        async with connected(mcp.url, token) as client:
            listed = (await client.list_resources()).resources
            page = await client.read_resource("fleet://docs/servers.md")
            return listed, page

    listed, page = run(go)

    assert [resource.uri for resource in listed] == [page.uri for page in DOC_PAGES]
    assert {resource.mime_type for resource in listed} == {"text/markdown"}
    assert page.contents[0].text.startswith("# Server inventory")


def test_a_file_outside_the_list_cannot_be_read(mcp):
    token = token_for("admin")

    async def go():
        async with connected(mcp.url, token) as client:
            await client.read_resource("fleet://docs/../config/settings/base.py")

    with pytest.raises(MCPError, match="No resource"):
        run(go)


def test_the_work_a_tool_queues_is_recorded_as_the_callers(mcp, clean_broker):
    fleet = build_fleet()

    result = call(
        mcp.url, token_for("operator", username="night-shift"), "run_health_check", {"server_id": fleet.ready.pk}
    )

    assert not result.is_error
    queued = AuditEvent.objects.get(action="health_check.queue")
    assert (queued.actor_name, queued.target_id, queued.ip_address) == ("night-shift", str(fleet.ready.pk), "127.0.0.1")
    tool = AuditEvent.objects.get(action="mcp.tool_call")
    assert tool.request_id == queued.request_id != ""


def test_a_failed_call_is_recorded_with_its_reason_and_arguments_without_secrets(mcp):
    result = call(mcp.url, token_for("viewer", username="curious"), "get_server", {"server_id": 5, "token": "s3cret"})

    assert result.is_error
    assert result.structured_content["fields"] == {"token": ["Extra inputs are not permitted"]}
    event = AuditEvent.objects.get(action="mcp.tool_call")
    assert (event.actor_name, event.outcome) == ("curious", "failure")
    assert event.detail["arguments"] == {"server_id": 5, "token": "[redacted]"}
    assert event.detail["error"] == "the arguments are not valid"

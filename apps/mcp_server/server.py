"""The MCP server: the SDK's low-level Server over the tool registry and the docs resources.

Each transport hands `build_server` a way to tell who sent a message (`identify`): over HTTP the
caller was authenticated by the HTTP layer (apps/mcp_server/http.py) for that very request;
over stdio the token from the environment is checked again for every message, so a revoked or
expired token stops working at once. The Django work runs in worker threads (the ORM is
synchronous), each call with fresh database connections as a web request would have.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import anyio
import structlog
from asgiref.sync import sync_to_async
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import close_old_connections
from django.http import HttpRequest
from mcp import types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from apps.audit.context import acting_request
from apps.mcp_server import registry
from apps.mcp_server.choices import Via
from apps.mcp_server.resources import DOC_PAGES, MIME_TYPE, doc_page, doc_text

SERVER_NAME = "fleet-platform"
SERVER_VERSION = "1.0"
# Threads that run Django code per process: at most this many calls at once, and this many
# database connections held (docs/operations.md sizes max_connections with it).
DJANGO_THREADS = 4
_django_threads = ThreadPoolExecutor(max_workers=DJANGO_THREADS, thread_name_prefix="mcp-django")
# JSON-RPC code the MCP specification gives an unknown resource.
RESOURCE_NOT_FOUND = -32002
INSTRUCTIONS = (
    "The Fleet platform: VPS servers rented from providers, the GitHub organization's projects, "
    "their health checks, incidents and provisioning runs. Every tool acts under the caller's own "
    "role. The resources are the platform's documentation (what each lifecycle means, how "
    "provisioning works). provision_server reinstalls and wipes a server: call it only when the "
    "person asked for exactly that, with confirm: true."
)


@dataclass(frozen=True)
class Caller:
    user: AbstractBaseUser
    client_ip: str = ""
    # The HTTP request's id, for the log lines and audit events of the work it caused.
    request_id: str = ""


Identify = Callable[[ServerRequestContext], Awaitable[Caller]]


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run Django code in a worker thread, with the connection hygiene of a web request."""

    def work() -> Any:
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return await sync_to_async(work, thread_sensitive=False, executor=_django_threads)()


def _annotations(tool: registry.Tool) -> types.ToolAnnotations:
    return types.ToolAnnotations(
        title=tool.title,
        read_only_hint=not tool.writes,
        destructive_hint=tool.destructive,
        idempotent_hint=not tool.writes,
        open_world_hint=False,
    )


def describe(tool: registry.Tool) -> types.Tool:
    return types.Tool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=tool.input_schema,
        annotations=_annotations(tool),
    )


def _call_as(caller: Caller, name: str, arguments: Any, via: Via) -> registry.ToolResult:
    # The services record their own audit events from "the current request": a stand-in
    # carries the caller (and their address) to them.
    stand_in = HttpRequest()
    stand_in.user = caller.user
    stand_in.META["REMOTE_ADDR"] = caller.client_ip
    if caller.request_id:
        structlog.contextvars.bind_contextvars(request_id=caller.request_id)
    with acting_request(stand_in):
        return registry.tool_call(user=caller.user, name=name, arguments=arguments, via=via)


def call_result(result: registry.ToolResult) -> types.CallToolResult:
    payload = result.payload()
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return types.CallToolResult(
        content=[types.TextContent(text=text)], structured_content=payload, is_error=not result.ok
    )


def build_server(*, identify: Identify, via: Via) -> Server:
    async def list_tools(ctx: ServerRequestContext, params: Any) -> types.ListToolsResult:
        caller = await identify(ctx)
        tools = await in_thread(registry.tools_for, caller.user)
        return types.ListToolsResult(tools=[describe(tool) for tool in tools])

    async def call_tool(ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        caller = await identify(ctx)
        result = await in_thread(_call_as, caller, params.name, params.arguments, via)
        if result.refused:
            # Not finding a tool is a protocol error, not a tool's failure (the specification's rule).
            raise MCPError(code=types.INVALID_PARAMS, message=f"Tool {result.tool!r} is not available: {result.error}")
        return call_result(result)

    async def list_resources(ctx: ServerRequestContext, params: Any) -> types.ListResourcesResult:
        await identify(ctx)
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=page.uri, name=page.file, title=page.title, description=page.description, mime_type=MIME_TYPE
                )
                for page in DOC_PAGES
            ]
        )

    async def read_resource(ctx: ServerRequestContext, params: types.ReadResourceRequestParams) -> Any:
        await identify(ctx)
        page = doc_page(str(params.uri))
        if page is None:
            raise MCPError(code=RESOURCE_NOT_FOUND, message=f"No resource {str(params.uri)[:200]!r}")
        text = await anyio.to_thread.run_sync(doc_text, page)
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=page.uri, mime_type=MIME_TYPE, text=text)]
        )

    def input_schema(name: str) -> dict[str, Any] | None:
        tool = registry.tool_named(name)
        return tool.input_schema if tool is not None else None

    return Server(
        SERVER_NAME,
        version=SERVER_VERSION,
        title="Fleet platform",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )

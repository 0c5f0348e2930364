"""The SDK's own client (mcp.client.streamable_http) as the tests' peer, from synchronous tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult


@asynccontextmanager
async def connected(url: str, token: str | None, *, mode: str = "auto", scheme: str = "Token") -> AsyncIterator[Client]:
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, read_timeout_seconds=30) as client,
    ):
        yield client


def run(go: Callable[[], Awaitable[Any]]) -> Any:
    """anyio.run, raising the error itself rather than the task group's ExceptionGroup around it."""
    try:
        return anyio.run(go)
    except BaseExceptionGroup as group:
        errors = group.exceptions
        while len(errors) == 1 and isinstance(errors[0], BaseExceptionGroup):
            errors = errors[0].exceptions
        if len(errors) == 1:
            raise errors[0] from group
        raise


def tool_names(url: str, token: str, **options: Any) -> list[str]:
    async def go() -> list[str]:
        async with connected(url, token, **options) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    return run(go)


def call(url: str, token: str, name: str, arguments: dict[str, Any] | None = None, **options: Any) -> CallToolResult:
    """tools/call in a session of its own; raises MCPError when the server refuses the tool."""

    async def go() -> CallToolResult:
        async with connected(url, token, **options) as client:
            return await client.call_tool(name, arguments or {})

    return run(go)

"""The stdio transport, for a local client that starts `manage.py mcp --stdio` itself.

The caller is the owner of the personal API token in MCP_API_TOKEN, checked again for every
message (a revoked or expired token stops working at once) and held to the API's request rate.
"""

from __future__ import annotations

from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST

from apps.mcp_server.choices import Via
from apps.mcp_server.identity import NotAuthenticated, throttle_wait, user_for_token
from apps.mcp_server.server import Caller, build_server, in_thread

TOKEN_VARIABLE = "MCP_API_TOKEN"  # noqa: S105 (the variable's name, not a secret)


async def serve_stdio(token: str) -> None:
    async def identify(ctx) -> Caller:
        try:
            user = await in_thread(user_for_token, token)
        except NotAuthenticated as error:
            raise MCPError(code=INVALID_REQUEST, message=f"not authenticated: {error}") from None
        wait = await in_thread(throttle_wait, user)
        if wait is not None:
            raise MCPError(
                code=INVALID_REQUEST, message=f"Request was throttled. Expected available in {round(wait)} s."
            )
        return Caller(user=user)

    server = build_server(identify=identify, via=Via.STDIO)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())

"""The streamable HTTP transport: the SDK's ASGI app behind the platform's own front door.

Before the SDK sees a request: its Host must be one of ALLOWED_HOSTS (and a browser's Origin one
of them or of CORS_ALLOWED_ORIGINS), the caller's personal API token must be valid (else 401),
and the caller must be within the API's request rate (else 429 with Retry-After). Sessions are
stateless and answers are plain JSON: any process of the MCP service answers any request, and
every request is authenticated on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from mcp.server import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apps.core.logging import request_id_from
from apps.core.public_urls import MCP_PATH
from apps.mcp_server.choices import Via
from apps.mcp_server.identity import NotAuthenticated, throttle_wait, user_for_authorization
from apps.mcp_server.server import Caller, build_server, in_thread

CALLER_KEY = "fleet.caller"
# Development with DEBUG and no ALLOWED_HOSTS: Django's own fallback.
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]

log = structlog.get_logger(__name__)


def _allowed_hosts() -> list[str]:
    return settings.ALLOWED_HOSTS or (DEBUG_HOSTS if settings.DEBUG else [])


def _host_allowed(host: str) -> bool:
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, _allowed_hosts())


def _origin_allowed(origin: str) -> bool:
    if origin.rstrip("/") in settings.CORS_ALLOWED_ORIGINS:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and _host_allowed(parts.netloc)


def _refusal(status: int, detail: str, code: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


class Gate:
    """Host, token and request rate, checked in front of the MCP endpoint (an ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        request_id = request_id_from(headers.get("x-request-id"))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, method=scope.get("method"), path=scope["path"])

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        response = await self._check(scope, headers, request_id)
        if response is not None:
            await response(scope, receive, send_with_request_id)
            return
        await self.app(scope, receive, send_with_request_id)

    async def _check(self, scope: Scope, headers: Headers, request_id: str) -> Response | None:
        """The refusal to send, or None once the caller is on the scope."""
        if not _host_allowed(headers.get("host", "")):
            return _refusal(400, "This host name is not among ALLOWED_HOSTS.", "invalid_host")
        origin = headers.get("origin")
        if origin and not _origin_allowed(origin):
            return _refusal(403, "Requests from this origin are not allowed.", "invalid_origin")
        try:
            user = await in_thread(user_for_authorization, headers.get("authorization"))
        except NotAuthenticated as error:
            log.info("mcp_request_not_authenticated", reason=str(error))
            return _refusal(401, str(error), "not_authenticated", {"WWW-Authenticate": 'Bearer realm="fleet-mcp"'})
        wait = await in_thread(throttle_wait, user)
        if wait is not None:
            seconds = max(1, round(wait))
            return _refusal(
                429,
                f"Request was throttled. Expected available in {seconds} seconds.",
                "throttled",
                {"Retry-After": str(seconds)},
            )
        client = scope.get("client")
        scope[CALLER_KEY] = Caller(user=user, client_ip=client[0] if client else "", request_id=request_id)
        return None


async def _identify(ctx: ServerRequestContext) -> Caller:
    caller = ctx.request.scope.get(CALLER_KEY) if ctx.request is not None else None
    if caller is None:  # never past the gate; a guard against serving a request it did not see
        raise MCPError(code=INVALID_REQUEST, message="not authenticated")
    return caller


async def _live(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def build_application() -> Starlette:
    """The ASGI application of the MCP service: POST /mcp, and GET /health/live for probes."""
    manager = StreamableHTTPSessionManager(
        app=build_server(identify=_identify, via=Via.HTTP),
        json_response=True,
        stateless=True,
        # The gate checks Host and Origin against the platform's own settings instead.
        security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        max_request_body_size=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    gate = Gate(manager.handle_request)
    return Starlette(
        routes=[
            # With and without the trailing slash: a client that adds one is not sent a redirect.
            Route(MCP_PATH, endpoint=gate),
            Route(f"{MCP_PATH}/", endpoint=gate),
            Route("/health/live", endpoint=_live, methods=["GET"]),
        ],
        lifespan=lifespan,
    )

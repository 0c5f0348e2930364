"""Where clients reach the MCP endpoint: the address the API root lists under "mcp", and the path
the MCP server (apps/mcp_server) serves it on. Here, below both, so neither imports the other."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port

MCP_PATH = "/mcp"


def mcp_url(request: HttpRequest) -> str:
    """MCP_PUBLIC_URL when set (behind a proxy); else the host `request` was sent to, on MCP_PORT."""
    if settings.MCP_PUBLIC_URL:
        return settings.MCP_PUBLIC_URL
    domain, _port = split_domain_port(request.get_host())
    return f"{request.scheme}://{domain}:{settings.MCP_PORT}{MCP_PATH}"

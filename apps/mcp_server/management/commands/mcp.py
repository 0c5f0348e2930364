"""`manage.py mcp`: the MCP server over streamable HTTP (the Procfile's and compose's `mcp`), or
`--stdio` for a local client (the token in MCP_API_TOKEN). docs/mcp.md."""

from __future__ import annotations

import os

import anyio
import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.mcp_server.identity import NotAuthenticated, user_for_token
from apps.mcp_server.stdio import TOKEN_VARIABLE, serve_stdio


class Command(BaseCommand):
    help = "Serve the MCP server over streamable HTTP on MCP_HOST:MCP_PORT, or over stdio with --stdio."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--stdio",
            action="store_true",
            help=f"Talk MCP over stdin/stdout, as the owner of the API token in {TOKEN_VARIABLE}.",
        )
        parser.add_argument("--host", help="Address to listen on (default MCP_HOST).")
        parser.add_argument("--port", type=int, help="Port to listen on (default MCP_PORT).")
        parser.add_argument("--workers", type=int, help="Worker processes (default MCP_WORKERS).")

    def handle(self, *args, **options) -> None:
        if options["stdio"]:
            self._serve_stdio()
            return
        uvicorn.run(
            # An import string: uvicorn imports it again in each worker process.
            "apps.mcp_server.asgi:application",
            host=options["host"] or settings.MCP_HOST,
            port=options["port"] or settings.MCP_PORT,
            workers=options["workers"] or settings.MCP_WORKERS,
            # The platform's logging (structured, secrets redacted) handles uvicorn's loggers too.
            log_config=None,
            server_header=False,
            timeout_graceful_shutdown=30,
        )

    def _serve_stdio(self) -> None:
        token = os.environ.get(TOKEN_VARIABLE, "")
        if not token.strip():
            raise CommandError(f"{TOKEN_VARIABLE} is not set: put a personal API token there (docs/mcp.md).")
        try:
            user_for_token(token)
        except NotAuthenticated as error:
            raise CommandError(f"{TOKEN_VARIABLE} does not authenticate: {error}") from None
        anyio.run(serve_stdio, token)

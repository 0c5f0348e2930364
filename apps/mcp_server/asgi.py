"""The MCP service's ASGI application, for uvicorn (`manage.py mcp` serves it; docs/adr/0003)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from apps.mcp_server.http import build_application  # noqa: E402  (needs the apps loaded)

application = build_application()

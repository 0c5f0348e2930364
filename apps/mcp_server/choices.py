from django.db import models


class Via(models.TextChoices):
    """How a tool call reached the registry (recorded in its audit event)."""

    HTTP = "mcp-http", "MCP over streamable HTTP"
    STDIO = "mcp-stdio", "MCP over stdio"
    ASSISTANT = "assistant", "The admin's assistant"

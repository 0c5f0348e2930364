"""Tools for AI assistants: the MCP server and the admin's assistant with its model client."""

from config.settings.base import IS_PRODUCTION, env

# --- MCP server (apps/mcp_server, docs/mcp.md) --------------------------------------------
# Its own ASGI process (`manage.py mcp`, docs/adr/0003-mcp-server-process.md), on this address.
MCP_HOST = env.str("MCP_HOST", default="127.0.0.1")
MCP_PORT = env.int("MCP_PORT", default=8001)
MCP_WORKERS = env.int("MCP_WORKERS", default=1)
# The endpoint as clients reach it (behind a proxy: https://fleet.example.com/mcp), listed in the
# API root; empty: http(s)://<the host the API was asked on>:MCP_PORT/mcp.
MCP_PUBLIC_URL = env.str("MCP_PUBLIC_URL", default="")
# Tools that change anything (acknowledge, health check, sync, provision) exist only when on.
MCP_ALLOW_WRITE = env.bool("MCP_ALLOW_WRITE", default=False)

# --- Assistant (apps/assistant; the model clients in apps/integrations/llm) ---------------
# Off until LLM_PROVIDER is set: "openai" (any OpenAI-compatible chat completions API: OpenAI,
# Ollama, vLLM...) or "anthropic". An empty LLM_BASE_URL means the provider's public API.
LLM_PROVIDER = env.str("LLM_PROVIDER", default="")
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=30.0)
# Attempts of one call on connection errors, 429 and 5xx (exponential backoff between them).
LLM_RETRY_ATTEMPTS = env.int("LLM_RETRY_ATTEMPTS", default=3)
# After this many failed calls in a row the provider's circuit opens for the reset time.
LLM_CIRCUIT_FAIL_MAX = env.int("LLM_CIRCUIT_FAIL_MAX", default=5)
LLM_CIRCUIT_RESET_SECONDS = env.int("LLM_CIRCUIT_RESET_SECONDS", default=120)
LLM_MAX_TOKENS = env.int("LLM_MAX_TOKENS", default=1024)
# A model server on loopback or a private network (a local Ollama) is refused unless allowed.
LLM_ALLOW_PRIVATE_ADDRESSES = env.bool("LLM_ALLOW_PRIVATE_ADDRESSES", default=not IS_PRODUCTION)
# Rounds of tool calls one question may take, and the time it may take in all (below the web
# server's request time-out, GUNICORN_TIMEOUT).
ASSISTANT_MAX_TOOL_ROUNDS = env.int("ASSISTANT_MAX_TOOL_ROUNDS", default=6)
ASSISTANT_DEADLINE_SECONDS = env.float("ASSISTANT_DEADLINE_SECONDS", default=50.0)

"""The admin's "Ask" page: an operator's question answered by a model through the MCP tools, under
the operator's own role (docs/mcp.md)."""

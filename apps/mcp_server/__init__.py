"""The platform's MCP server: its tools for any AI assistant, under the caller's own role (docs/mcp.md)."""

"""The registry's tools, in the order clients list them. Adding a tool is one `Tool(...)` entry in
one of these modules (or a new module added below): the registry's rules apply to it at once."""

from apps.mcp_server.tools import fleet, monitoring, projects, provisioning, servers

TOOLS = (
    *fleet.TOOLS,
    *servers.TOOLS,
    *monitoring.TOOLS,
    *provisioning.TOOLS,
    *projects.TOOLS,
)

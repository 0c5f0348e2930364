"""The fleet summary the admin's dashboard shows (apps/observability/dashboard.py), as data."""

from __future__ import annotations

from typing import Any

from apps.mcp_server.registry import Tool, ToolInput
from apps.observability.dashboard import dashboard_for


class NoInput(ToolInput):
    pass


def _counts(links: list) -> dict[str, int]:
    return {link.label: link.count for link in links}


def fleet_summary(*, user: Any, arguments: NoInput) -> dict[str, Any]:
    """The dashboard's blocks this user may see; a block the role may not view is left out."""
    dashboard = dashboard_for(user)
    summary: dict[str, Any] = {}
    if dashboard["servers"] is not None:
        summary["servers"] = {
            "by_lifecycle": _counts(dashboard["servers"]["by_lifecycle"]),
            "by_health": _counts(dashboard["servers"]["by_health"]),
        }
    if dashboard["incidents"] is not None:
        incidents = dashboard["incidents"]
        summary["active_incidents"] = {
            "total": incidents["total"],
            "by_severity": _counts(incidents["by_severity"]),
            "recent": [f"{link.label} ({link.detail})" for link in incidents["recent"]],
        }
    if dashboard["periodic_tasks"] is not None:
        summary["periodic_tasks"] = [
            {key: task[key] for key in ("name", "enabled", "last_run_at", "outcome")}
            for task in dashboard["periodic_tasks"]
        ]
    summary["failures_last_day"] = [
        {"what": block.title, "count": block.count, "latest": [f"{item.label}: {item.detail}" for item in block.items]}
        for block in dashboard["failures"]
    ]
    return summary


TOOLS = (
    Tool(
        name="fleet_summary",
        title="Fleet summary",
        description=(
            "What the admin's dashboard shows: servers by lifecycle and health, active incidents by "
            "severity, periodic tasks and their last outcome, failures of the last day."
        ),
        input=NoInput,
        permission="servers.view_server",
        run=fleet_summary,
    ),
)

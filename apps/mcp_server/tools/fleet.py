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
        open_, acknowledged = _counts(incidents["open"]), _counts(incidents["acknowledged"])
        summary["active_incidents"] = {
            "total": incidents["total"],
            "by_severity": {severity: open_[severity] + acknowledged[severity] for severity in open_},
            "open_by_severity": open_,
            "acknowledged_by_severity": acknowledged,
            "recent": [f"{link.label} ({link.detail})" for link in incidents["recent"]],
        }
    summary["runs_last_day"] = {
        block["title"]: {"total": block["total"], "by_status": _counts(block["by_status"])}
        for block in dashboard["runs"]
    }
    if dashboard["periodic_tasks"] is not None:
        summary["periodic_tasks"] = [
            {key: task[key] for key in ("name", "enabled", "last_run_at", "outcome", "next_run_at")}
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
            "severity (open and acknowledged apart), provisioning runs and jobs of the last day by "
            "status, periodic tasks with their last outcome and next run, failures of the last day."
        ),
        input=NoInput,
        permission="servers.view_server",
        run=fleet_summary,
    ),
)

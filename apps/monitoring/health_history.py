"""A server's health history as the server page shows it: one chart of disk use per mount, load
and memory over its latest checks, and the table of its most recent checks.

Both read one bounded query of that server's checks (the index on server and checked_at), so the
page costs the same with ten checks or a million in the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format

from apps.monitoring import selectors
from apps.monitoring.models import HealthCheck
from apps.servers.models import Server

CHART_CHECKS = 100  # the chart's span: about three hours at the 2-minute sweep
TABLE_CHECKS = 20


@dataclass(frozen=True)
class HealthHistory:
    checks: list[HealthCheck]  # newest first, at most TABLE_CHECKS
    chart: str  # Chart.js data as JSON ("" when no check has figures)
    chart_options: str


def _number(value) -> float | None:
    return round(float(value), 2) if isinstance(value, int | float) else None


def _memory_used_percent(memory) -> float | None:
    if not isinstance(memory, dict):
        return None
    total, available = memory.get("total_kb"), memory.get("available_kb")
    if not isinstance(total, int | float) or not isinstance(available, int | float) or total <= 0:
        return None
    return round(100 * (total - available) / total, 1)


def _series(checks: list[HealthCheck]) -> dict[str, list[float | None]]:
    """{series label: one value per check, oldest first}: disk use % of each mount, memory used %,
    load (1 min). A check that could not read a figure leaves a gap, not a zero."""
    mounts = sorted({mount for check in checks for mount in (check.figures.get("disk") or {})})
    series: dict[str, list[float | None]] = {f"disk {mount} %": [] for mount in mounts}
    series["memory used %"], series["load (1 min)"] = [], []
    for check in checks:
        disk = check.figures.get("disk") or {}
        for mount in mounts:
            usage = disk.get(mount)
            series[f"disk {mount} %"].append(_number(usage.get("used_percent")) if isinstance(usage, dict) else None)
        series["memory used %"].append(_memory_used_percent(check.figures.get("memory")))
        load = check.figures.get("load")
        series["load (1 min)"].append(_number(load.get("one")) if isinstance(load, dict) else None)
    return {label: values for label, values in series.items() if any(value is not None for value in values)}


CHART_OPTIONS = json.dumps(
    {
        "spanGaps": False,
        "scales": {
            "y": {"beginAtZero": True, "title": {"display": True, "text": "% used"}},
            "load": {"beginAtZero": True, "position": "right", "title": {"display": True, "text": "load"}},
        },
        "plugins": {"legend": {"display": True, "position": "bottom"}},
    }
)


def server_health_history(*, server: Server) -> HealthHistory:
    columns = ("id", "checked_at", "outcome", "duration_ms", "error", "figures")
    checks = list(selectors.health_checks_of(server=server).only(*columns)[:CHART_CHECKS])
    oldest_first = list(reversed(checks))
    series = _series(oldest_first)
    chart = ""
    if series:
        labels = [date_format(timezone.localtime(check.checked_at), "H:i") for check in oldest_first]
        datasets = [
            {"label": label, "data": values, **({"yAxisID": "load"} if label.startswith("load") else {})}
            for label, values in series.items()
        ]
        chart = json.dumps({"labels": labels, "datasets": datasets})
    return HealthHistory(checks=checks[:TABLE_CHECKS], chart=chart, chart_options=CHART_OPTIONS)

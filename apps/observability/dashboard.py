"""The console's dashboard: fleet state, incidents, the day's runs, periodic tasks, failures, trends.

Each block is built only when the user may view its model, so the dashboard reveals nothing
the rest of the admin would not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from apps.core.choices import SyncStatus
from apps.jobs.choices import JobStatus
from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, CheckOutcome, IncidentStatus, Severity
from apps.observability import selectors, trends
from apps.provisioning.choices import RunStatus
from apps.scheduling.selectors import periodic_task_next_run_at
from apps.servers.choices import HealthStatus, Lifecycle


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    count: int | None = None
    detail: str = ""


@dataclass
class Failures:
    title: str
    count: int
    changelist: str
    items: list[Link] = field(default_factory=list)


def _changelist(model: str, **filters: Any) -> str:
    url = reverse(f"admin:{model.replace('.', '_')}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _change(model: str, pk: Any) -> str:
    return reverse(f"admin:{model.replace('.', '_')}_change", args=[pk])


def _servers() -> dict[str, list[Link]]:
    by_lifecycle, by_health = selectors.server_totals()
    return {
        "by_lifecycle": [
            Link(
                choice.label, _changelist("servers.server", lifecycle__exact=choice.value), by_lifecycle.get(choice, 0)
            )
            for choice in Lifecycle
        ],
        "by_health": [
            Link(
                choice.label, _changelist("servers.server", health_status__exact=choice.value), by_health.get(choice, 0)
            )
            for choice in HealthStatus
        ],
    }


def _incidents() -> dict[str, Any]:
    """Active incidents by severity, the acknowledged ones counted apart from the open ones."""
    counts = selectors.active_incident_counts()

    def by_severity(status: str) -> list[Link]:
        return [
            Link(
                choice.label,
                _changelist("monitoring.incident", status__exact=status, severity__exact=choice.value),
                sum(n for (severity, _kind, state), n in counts.items() if severity == choice and state == status),
            )
            for choice in reversed(Severity)
        ]

    active = ",".join(ACTIVE_INCIDENT_STATUSES)
    open_links = by_severity(IncidentStatus.OPEN)
    acknowledged_links = by_severity(IncidentStatus.ACKNOWLEDGED)
    return {
        "total": sum(counts.values()),
        "all_url": _changelist("monitoring.incident", status__in=active),
        "open_total": sum(link.count for link in open_links),
        "open_url": _changelist("monitoring.incident", status__exact=IncidentStatus.OPEN),
        "open": open_links,
        "acknowledged_total": sum(link.count for link in acknowledged_links),
        "acknowledged_url": _changelist("monitoring.incident", status__exact=IncidentStatus.ACKNOWLEDGED),
        "acknowledged": acknowledged_links,
        "recent": [
            Link(
                f"{incident.get_kind_display()} on {incident.server}",
                _change("monitoring.incident", incident.pk),
                detail=f"{incident.get_severity_display()}, {incident.get_status_display().lower()}",
            )
            for incident in selectors.recent_active_incidents()
        ],
    }


def _runs(user: AbstractBaseUser, *, since: datetime) -> list[dict[str, Any]]:
    """Provisioning runs and jobs of the last day by status, each count linking to its list."""
    counts = trends.runs_since(since)
    blocks = []
    for kind, model, statuses in (
        ("provisioning", "provisioning.provisioningrun", RunStatus),
        ("job", "jobs.job", JobStatus),
    ):
        if not user.has_perm(f"{model.split('.')[0]}.view_{model.split('.')[1]}"):
            continue
        links = [
            Link(
                status.label,
                _changelist(model, status__exact=status.value, created_at__gte=since.isoformat()),
                counts.get((kind, status.value), 0),
            )
            for status in statuses
        ]
        blocks.append(
            {
                "title": "Provisioning runs" if kind == "provisioning" else "Jobs",
                "total": sum(link.count for link in links),
                "url": _changelist(model, created_at__gte=since.isoformat()),
                "by_status": links,
            }
        )
    return blocks


def _periodic_tasks(*, can_view_results: bool) -> list[dict[str, Any]]:
    rows = []
    now = timezone.now()
    for task in selectors.periodic_tasks_with_last_result():
        result_url = (
            _change("django_celery_results.taskresult", task.last_result_pk)
            if can_view_results and task.last_result_pk
            else ""
        )
        rows.append(
            {
                "name": task.name,
                "url": _change("django_celery_beat.periodictask", task.pk),
                "enabled": task.enabled,
                "last_run_at": task.last_result_at or task.last_result_created_at or task.last_run_at,
                "outcome": task.last_result_status or "",
                "result_url": result_url,
                "next_run_at": periodic_task_next_run_at(task, now=now),
            }
        )
    return rows


# Colours of the chart's series, by status; Chart.js takes any CSS colour.
OUTCOME_COLOURS = {
    CheckOutcome.HEALTHY: "#16a34a",
    CheckOutcome.DEGRADED: "#f59e0b",
    CheckOutcome.UNREACHABLE: "#dc2626",
    CheckOutcome.AUTH_FAILED: "#9333ea",
    CheckOutcome.HOST_KEY_MISMATCH: "#be185d",
    CheckOutcome.ERROR: "#6b7280",
}
RUN_COLOURS = {"succeeded": "#16a34a", "failed": "#dc2626", "canceled": "#6b7280", "active": "#3b82f6"}


def _health_chart(days: list[date]) -> str:
    counts = trends.health_outcomes_per_day(days)
    datasets = [
        {
            "label": outcome.label,
            "data": [counts.get((day, outcome.value), 0) for day in days],
            "backgroundColor": OUTCOME_COLOURS[outcome],
        }
        for outcome in CheckOutcome
    ]
    return _chart_json(days, datasets)


def _runs_chart(days: list[date]) -> str:
    counts = trends.runs_per_day(days)

    def total(day: date, statuses: tuple[str, ...]) -> int:
        return sum(n for (when, _kind, status), n in counts.items() if when == day and status in statuses)

    series = {
        "succeeded": ("succeeded",),
        "failed": ("failed",),
        "canceled": ("canceled",),
        "active": ("queued", "running"),
    }
    datasets = [
        {
            "label": name.capitalize(),
            "data": [total(day, statuses) for day in days],
            "backgroundColor": RUN_COLOURS[name],
        }
        for name, statuses in series.items()
    ]
    return _chart_json(days, datasets)


# Stacked bars: a day's bar is its total, split by outcome or status.
STACKED_CHART_OPTIONS = json.dumps({"scales": {"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True}}})


def _chart_json(days: list[date], datasets: list[dict[str, Any]]) -> str:
    return json.dumps({"labels": [f"{day:%b %d}" for day in days], "datasets": datasets})


def _failures(user: AbstractBaseUser) -> list[Failures]:
    since = selectors.last_day()
    blocks = []
    if user.has_perm("core.view_syncrun"):
        count, runs = selectors.failed_sync_runs(since=since)
        blocks.append(
            Failures(
                "Sync runs",
                count,
                _changelist("core.syncrun", status__exact=SyncStatus.FAILED),
                [Link(str(run), _change("core.syncrun", run.pk), detail=run.error[:200]) for run in runs],
            )
        )
    if user.has_perm("provisioning.view_provisioningrun"):
        count, runs = selectors.failed_provisioning_runs(since=since)
        blocks.append(
            Failures(
                "Provisioning runs",
                count,
                _changelist("provisioning.provisioningrun", status__exact=RunStatus.FAILED),
                [
                    Link(str(run), _change("provisioning.provisioningrun", run.pk), detail=run.error[:200])
                    for run in runs
                ],
            )
        )
    if user.has_perm("django_celery_results.view_taskresult"):
        count, results = selectors.failed_task_results(since=since)
        blocks.append(
            Failures(
                "Task results",
                count,
                _changelist("django_celery_results.taskresult", status__exact="FAILURE"),
                [
                    Link(
                        result.periodic_task_name or result.task_name or result.task_id,
                        _change("django_celery_results.taskresult", result.pk),
                        detail=f"{result.task_name} at {result.date_done:%Y-%m-%d %H:%M}" if result.date_done else "",
                    )
                    for result in results
                ],
            )
        )
    return blocks


def dashboard_for(user: AbstractBaseUser) -> dict[str, Any]:
    """The dashboard's blocks this user may see (a block the user may not view is None)."""
    days = trends.trend_days()
    can_view_runs = user.has_perm("provisioning.view_provisioningrun") and user.has_perm("jobs.view_job")
    return {
        "servers": _servers() if user.has_perm("servers.view_server") else None,
        "runs": _runs(user, since=selectors.last_day()),
        "health_chart": _health_chart(days) if user.has_perm("monitoring.view_healthcheck") else None,
        "runs_chart": _runs_chart(days) if can_view_runs else None,
        "chart_options": STACKED_CHART_OPTIONS,
        "time_zone": timezone.get_current_timezone_name(),
        "incidents": _incidents() if user.has_perm("monitoring.view_incident") else None,
        "periodic_tasks": _periodic_tasks(can_view_results=user.has_perm("django_celery_results.view_taskresult"))
        if user.has_perm("django_celery_beat.view_periodictask")
        else None,
        "failures": _failures(user),
    }

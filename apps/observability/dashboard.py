"""What the admin index shows above the app list: fleet state, incidents, periodic tasks, failures.

Each block is built only when the user may view its model, so the dashboard reveals nothing
the rest of the admin would not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse
from django.utils.http import urlencode

from apps.core.choices import SyncStatus
from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, Severity
from apps.observability import selectors
from apps.provisioning.choices import RunStatus
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
    active = ",".join(ACTIVE_INCIDENT_STATUSES)
    by_severity = selectors.active_incidents_by_severity()
    return {
        "total": sum(by_severity.values()),
        "all_url": _changelist("monitoring.incident", status__in=active),
        "by_severity": [
            Link(
                choice.label,
                _changelist("monitoring.incident", status__in=active, severity__exact=choice.value),
                by_severity.get(choice, 0),
            )
            for choice in reversed(Severity)
        ],
        "recent": [
            Link(
                f"{incident.get_kind_display()} on {incident.server}",
                _change("monitoring.incident", incident.pk),
                detail=f"{incident.get_severity_display()}, {incident.get_status_display().lower()}",
            )
            for incident in selectors.recent_active_incidents()
        ],
    }


def _periodic_tasks(*, can_view_results: bool) -> list[dict[str, Any]]:
    rows = []
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
            }
        )
    return rows


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
    return {
        "servers": _servers() if user.has_perm("servers.view_server") else None,
        "incidents": _incidents() if user.has_perm("monitoring.view_incident") else None,
        "periodic_tasks": _periodic_tasks(can_view_results=user.has_perm("django_celery_results.view_taskresult"))
        if user.has_perm("django_celery_beat.view_periodictask")
        else None,
        "failures": _failures(user),
    }

"""The dashboard's series over time: health check outcomes and runs per day, and the last day's runs.

Each is one GROUP BY query whatever the number of rows, grouped by day in the operator's time
zone (Django's current time zone), so a day on the chart is the day the operator lived.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.jobs.models import Job
from apps.monitoring.models import HealthCheck
from apps.provisioning.models import ProvisioningRun

TREND_DAYS = 14


def trend_days(*, days: int = TREND_DAYS, now: datetime | None = None) -> list[date]:
    """The last `days` calendar days in the current time zone, oldest first, today last."""
    today = timezone.localdate(now or timezone.now())
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _window_start(days: list[date]) -> datetime:
    return timezone.make_aware(datetime.combine(days[0], datetime.min.time()))


def health_outcomes_per_day(days: list[date]) -> dict[tuple[date, str], int]:
    """Health checks by (local day, outcome) since the first of `days`."""
    rows = (
        HealthCheck.objects.filter(checked_at__gte=_window_start(days))
        .annotate(day=TruncDate("checked_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(day, outcome): n for day, outcome, n in rows}


def runs_per_day(days: list[date]) -> dict[tuple[date, str, str], int]:
    """Provisioning runs and jobs created since the first of `days`, by (local day, kind, status).

    kind is "provisioning" or "job".
    """
    start = _window_start(days)
    tz = timezone.get_current_timezone()
    counts: dict[tuple[date, str, str], int] = {}
    for kind, queryset in (("provisioning", ProvisioningRun.objects), ("job", Job.objects)):
        rows = (
            queryset.filter(created_at__gte=start)
            .annotate(day=TruncDate("created_at", tzinfo=tz))
            .values_list("day", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for day, status, n in rows:
            counts[(day, kind, status)] = n
    return counts


def runs_since(since: datetime) -> dict[tuple[str, str], int]:
    """Provisioning runs and jobs created since `since`, by (kind, status)."""
    counts: dict[tuple[str, str], int] = {}
    for kind, queryset in (("provisioning", ProvisioningRun.objects), ("job", Job.objects)):
        rows = queryset.filter(created_at__gte=since).values_list("status").annotate(n=Count("id")).order_by()
        for status, n in rows:
            counts[(kind, status)] = n
    return counts

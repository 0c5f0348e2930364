"""The platform's own metrics, read from the database when /metrics is scraped.

Computed at scrape time rather than kept in process memory, so every gunicorn worker answers
the same values and multiprocess mode never sums them once per worker. Registered only on the
registry the /metrics view builds for each scrape (apps/observability/views.py), never on the
global one: nothing else collects them, and importing this module starts no query.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from apps.core.choices import SyncKind, SyncStatus
from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, IncidentKind, Severity
from apps.observability import selectors
from apps.provisioning.choices import RunKind, RunStatus
from apps.servers.choices import HealthStatus, Lifecycle

PREFIX = "fleet"


def _gauge(
    name: str, documentation: str, labels: tuple[str, ...], counts: dict, every: Iterable[Iterable[str]] = ()
) -> GaugeMetricFamily:
    """A gauge of `counts` by label values; combinations of the enums in `every` are 0 when absent,
    so a query or alert on them sees 0 rather than no series."""
    values = dict.fromkeys(itertools.product(*every), 0) if every else {}
    values.update(counts)
    family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=list(labels))
    for label_values, value in sorted(values.items()):
        family.add_metric([str(v) for v in label_values], value)
    return family


class PlatformCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        yield _gauge(
            "servers",
            "Servers by lifecycle and health status.",
            ("lifecycle", "health_status"),
            selectors.server_counts(),
            every=(Lifecycle.values, HealthStatus.values),
        )
        yield _gauge(
            "incidents_active",
            "Open and acknowledged incidents by severity, kind and status.",
            ("severity", "kind", "status"),
            selectors.active_incident_counts(),
            every=(Severity.values, IncidentKind.values, [str(status) for status in ACTIVE_INCIDENT_STATUSES]),
        )
        yield _gauge(
            "sync_runs",
            "Retained sync run rows by kind and status (older rows are removed by retention).",
            ("kind", "status"),
            selectors.sync_run_counts(),
            every=(SyncKind.values, SyncStatus.values),
        )
        yield _gauge(
            "provisioning_runs",
            "Retained provisioning run rows by kind and status (older rows are removed by retention).",
            ("kind", "status"),
            selectors.provisioning_run_counts(),
            every=(RunKind.values, RunStatus.values),
        )
        yield from self._heartbeat(now)
        yield from self._tasks(now)

    @staticmethod
    def _heartbeat(now) -> Iterator[GaugeMetricFamily]:
        beat_sent_at, worker_ran_at = selectors.heartbeat_times()
        ages = GaugeMetricFamily(
            f"{PREFIX}_heartbeat_age_seconds",
            "Seconds since beat last sent the heartbeat (beat) and a worker last ran it (worker); "
            "absent until the first one.",
            labels=["component"],
        )
        for component, moment in (("beat", beat_sent_at), ("worker", worker_ran_at)):
            if moment is not None:
                ages.add_metric([component], max((now - moment).total_seconds(), 0.0))
        yield ages

    @staticmethod
    def _tasks(now) -> Iterator[GaugeMetricFamily]:
        window = timedelta(minutes=settings.METRICS_TASK_WINDOW_MINUTES)
        since = now - window
        yield GaugeMetricFamily(
            f"{PREFIX}_task_window_seconds",
            "Length of the window the task_recent_* metrics cover.",
            value=window.total_seconds(),
        )
        yield _gauge(
            "task_recent_results",
            "Task results created within the window, by task and state.",
            ("task", "state"),
            selectors.task_result_counts(since=since),
        )
        durations = selectors.task_durations(since=since)
        finished = GaugeMetricFamily(
            f"{PREFIX}_task_recent_finished", "Tasks finished within the window (success or failure).", labels=["task"]
        )
        total = GaugeMetricFamily(
            f"{PREFIX}_task_recent_duration_seconds_sum",
            "Total run time of the tasks finished within the window.",
            labels=["task"],
        )
        longest = GaugeMetricFamily(
            f"{PREFIX}_task_recent_duration_seconds_max",
            "Longest run time of a task finished within the window.",
            labels=["task"],
        )
        for task, figures in sorted(durations.items()):
            finished.add_metric([task], figures.finished)
            total.add_metric([task], figures.total_seconds)
            longest.add_metric([task], figures.max_seconds)
        yield from (finished, total, longest)

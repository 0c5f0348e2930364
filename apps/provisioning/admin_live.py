"""A provisioning run's page as it follows the run: the status the page polls (status, elapsed
time, the phase and stats tables as HTML fragments) and the whole output as a download.

The output lines themselves come from the API's events cursor (/api/provisioning-runs/<id>/events/,
which takes the admin's session); static/console/live_output.js does the polling.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from apps.core.admin_live import LiveOutputViews
from apps.core.live_output import (
    POLL_INTERVAL_MS,
    duration_text,
    elapsed_seconds,
    plain_text,
)
from apps.provisioning.models import ProvisioningRun

FRAGMENTS = {
    "run-status": "admin/provisioning/provisioningrun/live_status.html",
    "run-phases": "admin/provisioning/provisioningrun/live_phases.html",
    "run-stats": "admin/provisioning/provisioningrun/live_stats.html",
}
STAT_COLUMNS = ("ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored")


def stats_rows(run: ProvisioningRun) -> list[tuple[str, list[int]]]:
    stats = run.stats if isinstance(run.stats, dict) else {}
    return [
        (host, [(counts or {}).get(column, 0) for column in STAT_COLUMNS]) for host, counts in sorted(stats.items())
    ]


def phase_rows(run: ProvisioningRun) -> list[dict]:
    return [
        {"phase": phase, "duration": duration_text(elapsed_seconds(phase.started_at, phase.finished_at))}
        for phase in run.phases.order_by("position")
    ]


def run_log_lines(run: ProvisioningRun) -> Iterator[str]:
    """Every line of the run's output in order, a marker where an attempt starts again."""
    attempt = None
    for event_attempt, stdout in run.events.order_by("seq").values_list("attempt", "stdout").iterator(chunk_size=500):
        if attempt is not None and event_attempt != attempt:
            yield f"--- attempt {event_attempt} ---"
        attempt = event_attempt
        if stdout:
            yield plain_text(stdout)


def output_after(run: ProvisioningRun, *, shown: int) -> int:
    """The seq the page's output starts after: just before the first of the last `shown` events."""
    nth_newest = run.events.order_by("-seq").values_list("seq", flat=True)[shown - 1 : shown]
    return max(0, nth_newest[0] - 1) if nth_newest else 0


class RunLiveOutputViews(LiveOutputViews):
    """Mixed into the run admin: the status and log pages, and what the run page needs for them."""

    live_fragments = FRAGMENTS

    def live_fragments_context(self, run: ProvisioningRun) -> dict:
        elapsed = elapsed_seconds(run.started_at, run.finished_at)
        return {
            "run": run,
            "phase_rows": phase_rows(run),
            "stat_columns": STAT_COLUMNS,
            "stats_rows": stats_rows(run),
            "elapsed": duration_text(elapsed),
            "elapsed_seconds": elapsed,
        }

    def live_page_context(self, run: ProvisioningRun, *, shown: int) -> dict:
        """What the run page adds: the fragments' context and the addresses the script polls."""
        return {
            **self.live_fragments_context(run),
            "live_status_url": reverse("admin:provisioning_provisioningrun_live", args=[run.pk]),
            "live_events_url": reverse("provisioning-run-events", args=[run.pk]),
            "live_log_url": reverse("admin:provisioning_provisioningrun_log", args=[run.pk]),
            "live_after": output_after(run, shown=shown),
            "live_poll_ms": POLL_INTERVAL_MS,
        }

    def live_log_name(self, run: ProvisioningRun) -> str:
        return f"provisioning-run-{run.pk}.log"

    def live_log_lines(self, run: ProvisioningRun) -> Iterator[str]:
        return run_log_lines(run)

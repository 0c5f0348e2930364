"""What the jobs admin shows of templates and jobs: summaries for the lists, a job's output."""

from __future__ import annotations

from collections import Counter

from django.utils.html import format_html

from apps.core.live_output import plain_text
from apps.jobs.admin_views import job_url
from apps.jobs.choices import HostStatus
from apps.jobs.models import Job

LAUNCH_PERMISSION = "jobs.launch_jobtemplate"
OUTPUT_LINES_SHOWN = 2000
HOST_COUNT_COLUMNS = ("ok", "changed", "failed", "unreachable", "skipped")
# The job list filtered to one server's jobs (the server admin links to it).
SERVER_JOBS_LOOKUP = "hosts__server__id__exact"


def job_link(job_id: int | None, status: str = ""):
    """'#12 failed', linked to the job's page."""
    if job_id is None:
        return "-"
    return format_html('<a href="{}">#{}</a> {}', job_url(job_id), job_id, status)


def target_summary(target: dict) -> str:
    if not isinstance(target, dict) or not target:
        return "-"
    if "servers" in target:
        ids = target["servers"]
        shown = ", ".join(f"#{pk}" for pk in ids[:5]) + (", …" if len(ids) > 5 else "")
        return f"{len(ids)} server(s): {shown}"
    parts = []
    if target.get("labels"):
        parts.append("labels " + ", ".join(f"{key}={value}" for key, value in target["labels"].items()))
    if target.get("lifecycle"):
        parts.append("lifecycle " + ", ".join(target["lifecycle"]))
    if target.get("provider_account"):
        parts.append(f"provider account #{target['provider_account']}")
    return "; ".join(parts) or "every server"


def hosts_summary(hosts) -> str:
    """'3 ok, 1 failed': the hosts' statuses, in the order of HostStatus."""
    counts = Counter(host.status for host in hosts)
    return ", ".join(f"{counts[status]} {status}" for status in HostStatus.values if counts[status]) or "no hosts"


def job_output(job: Job) -> tuple[str, bool, int]:
    """The last OUTPUT_LINES_SHOWN lines of the job's output (its events' stdout in order), whether
    earlier lines were left out, and the seq the shown lines start after (where the page's script
    continues from)."""
    lines: list[str] = []
    after = 0
    events = job.events.exclude(stdout="").order_by("-seq").values_list("seq", "stdout")
    for seq, stdout in events.iterator():
        lines[:0] = plain_text(stdout).splitlines()
        after = seq - 1
        if len(lines) >= OUTPUT_LINES_SHOWN:
            return "\n".join(lines[-OUTPUT_LINES_SHOWN:]), True, after
    return "\n".join(lines), False, 0

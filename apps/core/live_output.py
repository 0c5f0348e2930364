"""What the run and job pages share for their live output (static/console/live_output.js): the
status answer the page polls, the whole log as a download, and durations as operators read them.

The page reads new output lines from the API's events cursor (`?after=<seq>`) and everything
else from the status answer: HTML fragments rendered here with the templates' escaping, keyed by
the id of the element they replace. See docs/adr/0009-live-output-transport.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import JsonResponse, StreamingHttpResponse
from django.utils import timezone

# Colour codes Ansible may write when it thinks it talks to a terminal: noise in a text file.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# How often the page asks while the run or job is active, in milliseconds (it backs off on errors).
POLL_INTERVAL_MS = 1000


def plain_text(stdout: str) -> str:
    """An event's stdout without colour codes or the blank lines Ansible puts around it."""
    return ANSI_ESCAPE.sub("", stdout).strip("\r\n")


def elapsed_seconds(started_at: datetime | None, finished_at: datetime | None) -> int | None:
    """Seconds from start to finish, or to now while it is still going; None before it started."""
    if started_at is None:
        return None
    end = finished_at or timezone.now()
    return max(0, int((end - started_at).total_seconds()))


def duration_text(seconds: int | None) -> str:
    """'1 h 2 min 5 s', '3 min 0 s', '42 s'; '-' when there is no duration yet."""
    if seconds is None:
        return "-"
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min {seconds} s"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


# No Cache-Control here: the admin's views are never cached (admin_site.admin_view).
def live_status_response(*, status: str, status_label: str, finished: bool, elapsed: int | None, fragments: dict):
    """The status answer: what the page shows besides the output lines."""
    return JsonResponse(
        {
            "status": status,
            "status_label": status_label,
            "finished": finished,
            "elapsed_seconds": elapsed,
            "elapsed": duration_text(elapsed),
            "fragments": fragments,
        }
    )


def log_download(*, filename: str, lines: Iterable[str]) -> StreamingHttpResponse:
    """The whole output as a text file, streamed: a long run's log is not built in memory."""

    def chunks() -> Iterator[str]:
        for line in lines:
            yield line + "\n"

    response = StreamingHttpResponse(chunks(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

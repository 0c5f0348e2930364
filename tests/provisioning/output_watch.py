"""Watching Ansible's events of a run or a job become readable, as the console's poll reads them:
how long after Ansible emitted each event (its `created_at`, Ansible's own clock on this machine)
its row could be read."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class SeenEvent:
    seq: int
    event: str
    task: str
    delay: float  # seconds from Ansible emitting the event to its row being readable


def watch_events(
    model: type[models.Model], *, owner: dict[str, int], until: Callable[[], bool], timeout: float
) -> list[SeenEvent]:
    """Read the owner's new events every POLL_SECONDS until `until()` is true (then once more)."""
    seen: list[SeenEvent] = []
    last, deadline, done = 0, time.monotonic() + timeout, False
    while True:
        rows = (
            model.objects.filter(**owner, seq__gt=last)
            .order_by("seq")
            .values_list("seq", "event", "task", "created_at")
        )
        now = timezone.now()
        for seq, event, task, created_at in rows:
            seen.append(SeenEvent(seq, event, task, (now - created_at).total_seconds()))
            last = seq
        if done:
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s; events seen: {seen[-5:]}")
        done = until()
        time.sleep(POLL_SECONDS)


def slowest(seen: list[SeenEvent]) -> SeenEvent:
    return max(seen, key=lambda event: event.delay)

"""Ansible's events of a run or a job, stored in batches as they arrive (the API streams them by `seq`)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from apps.provisioning.services.phase_results import Superseded

MAX_STDOUT_CHARS = 64_000
FAILED_EVENTS = ("runner_on_failed", "runner_item_on_failed", "runner_on_unreachable")


def _created(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return timezone.now()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class EventRecorder:
    """Collects the events of one owner (a run, a job) and writes them `batch_size` at a time, or
    `interval` seconds after the oldest of them arrived (`writing()` runs that clock in a thread
    of its own): output reaches the database well within a second of Ansible printing it.

    `model` is the event model (ProvisioningEvent, JobEvent), `owner` the field naming its owner
    ({"run_id": 7}) and `extra` fields every event of this recorder carries ({"attempt": 2}).
    `seq` continues after the owner's events of earlier attempts, so the output reads in order.
    Each write happens inside `guard()` (the attempt's ownership check): once the owner is no
    longer this attempt's, nothing more is written.
    """

    def __init__(
        self,
        *,
        model: type[models.Model],
        owner: dict[str, int],
        extra: dict[str, Any] | None = None,
        batch_size: int = 50,
        interval: float = 0.5,
        guard: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    ) -> None:
        self.model, self.owner, self.extra, self.guard = model, owner, extra or {}, guard
        self.superseded = False
        self.batch_size, self.interval = batch_size, interval
        self.base = model.objects.filter(**owner).aggregate(last=Max("seq"))["last"] or 0
        self.pending: list[models.Model] = []
        self.oldest_at = 0.0  # when the oldest pending event arrived (monotonic)
        self._lock = threading.Lock()  # add() in the caller's thread, tick() also in writing()'s
        self.count = 0
        self.last_failure = ""

    def add(self, event_data: dict[str, Any]) -> None:
        data = event_data.get("event_data") or {}
        name = str(event_data.get("event") or "")
        result = data.get("res") if isinstance(data.get("res"), dict) else {}
        failed = name in FAILED_EVENTS and not data.get("ignore_errors")
        host, task = str(data.get("host") or ""), str(data.get("task") or "")
        if failed:
            message = str(result.get("msg") or result.get("stderr") or "").strip().splitlines()
            self.last_failure = f"task {task!r} failed on {host}" + (f": {message[0][:300]}" if message else "")
        with self._lock:
            self._append(name, host, task, failed, result, event_data)
        if len(self.pending) >= self.batch_size:
            self.flush()
        else:
            self.tick()

    def _append(self, name: str, host: str, task: str, failed: bool, result: dict, event_data: dict) -> None:
        self.count += 1
        if not self.pending:
            self.oldest_at = time.monotonic()
        self.pending.append(
            self.model(
                **self.owner,
                **self.extra,
                seq=self.base + int(event_data.get("counter") or self.count),
                event=name[:64],
                host=host[:255],
                task=task[:500],
                stdout=str(event_data.get("stdout") or "")[:MAX_STDOUT_CHARS],
                failed=failed,
                changed=bool(result.get("changed")),
                created_at=_created(event_data.get("created")),
            )
        )

    def tick(self) -> None:
        """Write what is pending once its oldest event has waited `interval`."""
        if self.pending and time.monotonic() - self.oldest_at >= self.interval:
            self.flush()

    def flush(self) -> None:
        with self._lock:  # one write at a time, in seq order
            if self.pending and not self.superseded:
                try:
                    with self.guard():
                        # ignore_conflicts: a redelivered attempt may write a seq an earlier one wrote.
                        self.model.objects.bulk_create(self.pending, ignore_conflicts=True)
                except Superseded:
                    self.superseded = True
            self.pending = []

    @contextlib.contextmanager
    def writing(self):
        """While the block runs, a thread writes what is pending every `interval`: output printed
        before a long quiet task is stored within a second, not when the next event arrives.
        (ansible-runner's cancel callback is no clock: with several hosts it can go seconds
        between calls.) Everything still pending is written when the block ends."""
        stop = threading.Event()

        def clock() -> None:
            try:
                while not stop.wait(self.interval / 5):
                    self.tick()
            finally:
                connection.close()  # this thread's own connection

        thread = threading.Thread(target=clock, name="event-recorder", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=30)
            self.flush()

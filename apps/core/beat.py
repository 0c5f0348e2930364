"""The platform's beat scheduler: django-celery-beat's DatabaseScheduler that sends only as leader.

Any number of `celery beat` processes may run; each ticks, but only the one holding the beat
lease (apps/core/beat_lease.py) sends. The others are standbys that poll the lease and take it
over once the leader stops renewing it:

- The leader renews the lease at every tick, and ticks at least every `lease / 3` seconds, so a
  live leader renews well before the lease runs out.
- A standby checks the lease every `lease / 3` seconds (at most 5 s): a leader that died is
  replaced within BEAT_LEASE_SECONDS + one standby tick (docs/reliability.md "Beat, twice").
- A new leader reloads the schedule from the database before sending anything, so it starts
  from the last runs its predecessor recorded, not from what it read when it started.
- A task's last run is written before the task is sent, in one statement fenced by the lease
  (beat_run_record): what was sent is always recorded, so a new leader never sends it again,
  and a leader that lost its lease without noticing sends nothing.
- A clean shutdown releases the lease, so a restart or a rolling deploy hands over at once.

Where the database cannot be reached, a beat cannot prove it leads, so it sends nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, InterfaceError, close_old_connections
from django_celery_beat.schedulers import DEFAULT_MAX_INTERVAL, DatabaseScheduler, ModelEntry

from apps.core.beat_lease import beat_lease_claim, beat_lease_holder_name, beat_lease_release, beat_run_record

log = structlog.get_logger(__name__)

# Shorter leases make every beat write the lease row more often than is worth it, and leave a
# leader too little margin to renew across a slow database round trip.
MIN_LEASE_SECONDS = 3


def beat_tick_seconds(lease_seconds: int) -> float:
    """How often a leader renews and a standby looks at the lease: three times per lease, at most
    every DEFAULT_MAX_INTERVAL (5 s, django-celery-beat's own tick)."""
    return min(float(DEFAULT_MAX_INTERVAL), lease_seconds / 3)


class LeaderDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lease_holder = beat_lease_holder_name()
        self.lease_ttl = datetime.timedelta(seconds=settings.BEAT_LEASE_SECONDS)
        if settings.BEAT_LEASE_SECONDS < MIN_LEASE_SECONDS:
            raise ImproperlyConfigured(f"BEAT_LEASE_SECONDS must be {MIN_LEASE_SECONDS} or more")
        self.tick_seconds = beat_tick_seconds(settings.BEAT_LEASE_SECONDS)
        self.leading = False
        self._cleared_to_send: str | None = None
        super().__init__(*args, **kwargs)
        # Stated here rather than trusted to settings: a run must be saved before the next tick.
        # (beat_run_record already saved it; this keeps DatabaseScheduler's own sync in step.)
        self.sync_every_tasks = 1

    # --- Leadership -------------------------------------------------------------------------
    def _holds_lease(self) -> bool:
        try:
            close_old_connections()
            return beat_lease_claim(holder=self.lease_holder, ttl=self.lease_ttl)
        except (DatabaseError, InterfaceError):
            log.warning("beat_lease_unreachable", holder=self.lease_holder, exc_info=True)
            return False

    def _take_over(self) -> None:
        # The schedule in memory dates from when this process last read it; the previous
        # leader has sent since. Read every entry again, with the last runs it recorded.
        self._dirty.clear()
        self._schedule = self.all_as_schedule()
        self._last_full_sync = datetime.datetime.now()
        self._heap = None
        self.old_schedulers = None
        self.leading = True
        log.info("beat_lease_acquired", holder=self.lease_holder, entries=len(self._schedule))

    def _step_down(self) -> None:
        self.leading = False
        self._heap = None
        log.warning("beat_lease_lost", holder=self.lease_holder)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        holds = self._holds_lease()
        if holds and not self.leading:
            try:
                self._take_over()
            except (DatabaseError, InterfaceError):
                # Still not leading: the next tick renews the lease and reads the schedule again.
                log.warning("beat_schedule_unreadable", holder=self.lease_holder, exc_info=True)
                return self.tick_seconds
        elif not holds and self.leading:
            self._step_down()
        if not self.leading:
            return self.tick_seconds
        return min(super().tick(*args, **kwargs), self.tick_seconds)

    # --- Sending ----------------------------------------------------------------------------
    def reserve(self, entry: ModelEntry) -> ModelEntry:
        """Advance the entry and record the run (fenced by the lease) before tick() sends it."""
        new_entry = super().reserve(entry)
        # Saved here, not by the periodic sync: nothing is left for a later write to lose.
        self._dirty.discard(new_entry.name)
        try:
            saved = beat_run_record(
                holder=self.lease_holder,
                periodic_task_id=new_entry.model.pk,
                last_run_at=new_entry.model.last_run_at,
                total_run_count=new_entry.model.total_run_count,
            )
        except (DatabaseError, InterfaceError):
            log.warning("beat_run_not_recorded", periodic_task=new_entry.name, exc_info=True)
            saved = False
        self._cleared_to_send = new_entry.name if saved else None
        return new_entry

    def apply_entry(self, entry: ModelEntry, producer: Any = None) -> None:
        cleared, self._cleared_to_send = self._cleared_to_send, None
        if cleared != entry.name:
            # The lease ran out under us (or the row is gone): the next leader sends it.
            log.warning("beat_send_withheld", periodic_task=entry.name, holder=self.lease_holder)
            return
        super().apply_entry(entry, producer=producer)

    # --- Shutdown ---------------------------------------------------------------------------
    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.leading:
                self.leading = False
                try:
                    beat_lease_release(holder=self.lease_holder)
                    log.info("beat_lease_released", holder=self.lease_holder)
                except (DatabaseError, InterfaceError):
                    log.warning("beat_lease_not_released", holder=self.lease_holder, exc_info=True)

"""The beat lease: which beat process may send periodic tasks (the row is apps.core.models.BeatLease).

Claimed and renewed with one conditional UPDATE whose row count says who won, as the sync
leases are (apps/syncs/leases.py), so it works the same on SQLite and PostgreSQL and needs no
Redis. Every time is the database's `now()`, never a host's clock: two beats on two hosts
whose clocks drift still agree on when the lease ran out.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, DateTimeField, Exists, ExpressionWrapper, F, Q, When
from django.db.models.functions import Now
from django_celery_beat.models import PeriodicTask

from apps.core.models import BeatLease


def beat_lease_holder_name() -> str:
    """A name for one beat process: the host and pid say which one, the random part tells a
    restarted process with a reused pid from the one before it."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _db_now_plus(ttl: timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(Now() + ttl, output_field=DateTimeField())


def _claim(*, holder: str, ttl: timedelta) -> int:
    claimable = Q(holder=holder) | Q(expires_at__isnull=True) | Q(expires_at__lt=Now())
    return (
        BeatLease.objects.filter(id=BeatLease.SINGLETON_ID)
        .filter(claimable)
        .update(
            holder=holder,
            # Kept while the same process renews; set when the lease changes hands.
            acquired_at=Case(When(holder=holder, then=F("acquired_at")), default=Now()),
            renewed_at=Now(),
            expires_at=_db_now_plus(ttl),
        )
    )


def beat_lease_claim(*, holder: str, ttl: timedelta) -> bool:
    """Take the lease if it is free or ran out, or renew it if `holder` has it; True if held now."""
    if _claim(holder=holder, ttl=ttl):
        return True
    if BeatLease.objects.filter(id=BeatLease.SINGLETON_ID).exists():
        return False
    try:
        with transaction.atomic():
            BeatLease.objects.create(id=BeatLease.SINGLETON_ID)
    except IntegrityError:
        pass  # another beat created it first: the UPDATE below decides between us
    return _claim(holder=holder, ttl=ttl) == 1


def beat_lease_release(*, holder: str) -> None:
    """Give the lease up (a clean shutdown), so a standby takes over at its next tick."""
    BeatLease.objects.filter(id=BeatLease.SINGLETON_ID, holder=holder).update(holder="", expires_at=None)


def beat_run_record(*, holder: str, periodic_task_id: int, last_run_at: datetime, total_run_count: int) -> bool:
    """Save a periodic task's last run, only while `holder` holds a live lease; True if saved.

    Written before the task is sent (write-ahead), fenced by the lease in the same statement:
    a beat that lost the lease without knowing it (paused, cut off from the database) writes
    nothing and so sends nothing, and a beat taking over reads the run already recorded.
    """
    lease_live = BeatLease.objects.filter(id=BeatLease.SINGLETON_ID, holder=holder, expires_at__gt=Now())
    saved = (
        PeriodicTask.objects.filter(pk=periodic_task_id)
        .filter(Exists(lease_live))
        .update(last_run_at=last_run_at, total_run_count=total_run_count)
    )
    return saved == 1


@dataclass(frozen=True)
class BeatLeaseState:
    holder: str | None  # None when nobody holds a live lease
    acquired_at: datetime | None
    expires_at: datetime | None


def beat_lease_state() -> BeatLeaseState:
    """Who sends periodic tasks now (a live lease), as the database sees it."""
    lease = (
        BeatLease.objects.filter(id=BeatLease.SINGLETON_ID)
        .annotate(live=ExpressionWrapper(Q(expires_at__gt=Now()) & ~Q(holder=""), output_field=BooleanField()))
        .values("holder", "acquired_at", "expires_at", "live")
        .first()
    )
    if not lease or not lease["live"]:
        return BeatLeaseState(holder=None, acquired_at=None, expires_at=None)
    return BeatLeaseState(holder=lease["holder"], acquired_at=lease["acquired_at"], expires_at=lease["expires_at"])

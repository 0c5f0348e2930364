"""The time bounds of a run's phases, derived from settings in one place.

- A phase task's hard time limit: PROVISIONING_PHASE_TIME_LIMIT for the provider and SSH phases;
  the Ansible phase's follows from its job time-out (PROVISIONING_ANSIBLE_TIMEOUT_SECONDS), which
  ends the playbook first. No hard limit exceeds CELERY_MAX_TASK_TIME_LIMIT.
- The stall bound of a phase: its hard limit plus PROVISIONING_STALL_MARGIN_SECONDS. A run nobody
  holds (queued, or between two polls) whose phase has not started within it is resumed. Being
  longer than the hard limit, it never hands a phase to a second worker while a live first one
  could still be inside it — and the lease (below) plus the fences of apps/provisioning/services/
  transitions.py make even a frozen first worker harmless.
- The lease: a worker running a phase renews the run's lease every PROVISIONING_LEASE_SECONDS / 6;
  a run whose lease ran out (its worker died or froze) is resumed within a lease and one reclaim
  interval, well under a minute.

tasks/provisioning.py reads the task limits from here; the system check provisioning.E001-E003
(apps/provisioning/checks.py) refuses settings that would break these relations.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from apps.provisioning.choices import Phase

# How often a lease is renewed, as a fraction of its length: five renewals may be missed (a slow
# database, a loaded machine) before the lease runs out under a live worker.
LEASE_RENEWALS = 6


def soft_limit_for(hard: int) -> int:
    """The soft limit that goes with a hard one: a minute earlier, or a fifth earlier when shorter."""
    return hard - min(60, max(1, hard // 5))


def phase_time_limits(phase: str) -> tuple[int, int]:
    """(soft, hard) time limit in seconds of the task that runs `phase`."""
    if phase == Phase.ANSIBLE:
        hard = min(settings.PROVISIONING_ANSIBLE_TIMEOUT_SECONDS + 120, settings.CELERY_MAX_TASK_TIME_LIMIT)
        soft = min(settings.PROVISIONING_ANSIBLE_TIMEOUT_SECONDS + 60, hard - 30)
        return soft, hard
    hard = settings.PROVISIONING_PHASE_TIME_LIMIT
    return soft_limit_for(hard), hard


def longest_phase_time_limit() -> int:
    return max(phase_time_limits(phase)[1] for phase in Phase.values)


def stall_bound(phase: str) -> timedelta:
    """How long a run nobody holds may wait for `phase` to start before it is resumed."""
    return timedelta(seconds=phase_time_limits(phase)[1] + settings.PROVISIONING_STALL_MARGIN_SECONDS)


def lease_length() -> timedelta:
    return timedelta(seconds=settings.PROVISIONING_LEASE_SECONDS)


def lease_renew_every() -> float:
    return settings.PROVISIONING_LEASE_SECONDS / LEASE_RENEWALS

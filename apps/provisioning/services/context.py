"""What a phase's step works with: the run, its phase record, the attempt's token and holder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.utils import timezone

from apps.provisioning.models import ProvisioningPhase, ProvisioningRun
from apps.provisioning.services import transitions
from apps.provisioning.services.lease import LeaseKeeper
from apps.provisioning.services.phase_results import Done, Superseded, Wait
from apps.servers.models import Server

log = structlog.get_logger(__name__)


class PhaseContext:
    """The run (with its server), its phase record, the task's token and the process holding the
    run. Everything a step records goes through here, fenced: a superseded attempt records nothing."""

    def __init__(self, run: ProvisioningRun, record: ProvisioningPhase, token: int, holder: str) -> None:
        self.run, self.record, self.token, self.holder = run, record, token, holder
        self.server: Server = run.server
        self.lease: LeaseKeeper | None = None
        self.log = log.bind(run_id=run.pk, server_id=run.server_id, phase=record.phase, token=token)

    def record_fact(self, **fields: Any) -> None:
        """Record what the phase learnt (a provider task id, a password stored...) in its record."""
        transitions.phase_record_update(run_id=self.run.pk, token=self.token, record_id=self.record.pk, **fields)
        for name, value in fields.items():
            setattr(self.record, name, value)

    def effect_begin(self, **intent: Any) -> None:
        """Call immediately before an effect outside the database (a provider request, starting a
        playbook): raises Superseded unless this attempt still holds the run, records `intent`."""
        transitions.effect_begin(
            run_id=self.run.pk, token=self.token, holder=self.holder, record_id=self.record.pk, **intent
        )
        for name, value in intent.items():
            setattr(self.record, name, value)

    @property
    def lost(self) -> bool:
        """Whether the lease keeper found the run taken from this attempt (canceled, resumed)."""
        return self.lease is not None and self.lease.lost

    def owned(self):
        """A transaction in which the run is locked and still this attempt's (else Superseded):
        for a step's own writes of what it did (a pinned host key, a stored password)."""
        return transitions.owned(self.run.pk, self.token)

    def next_poll_seconds(self) -> float:
        """The wait before the next poll: growing by half each time, up to the longest wait."""
        polls = self.record.polls
        self.record_fact(polls=polls + 1)
        first, longest = settings.PROVISIONING_POLL_FIRST_SECONDS, settings.PROVISIONING_POLL_MAX_SECONDS
        return min(first * (1.5**polls), longest)

    def deadline(self, seconds: float):
        """When this phase's waiting gives up: set at the first call of the attempt, then kept."""
        if self.record.deadline_at is None:
            self.record_fact(deadline_at=timezone.now() + timedelta(seconds=seconds))
        return self.record.deadline_at


Step = Callable[[PhaseContext], Done | Wait]

__all__ = ["PhaseContext", "Step", "Superseded"]

"""How a run's step ended when it raised: the one classification both runners use (a sync run,
apps/syncs/runner.py; a provisioning phase, apps/provisioning/services/engine.py).

Each runner decides what a kind means for its record (fail, retry, leave running) and words its
own message; this module only says which kind an error is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from celery.exceptions import SoftTimeLimitExceeded

from apps.core.db_connections import connection_lost


class FailureKind(StrEnum):
    EXPECTED = "expected"  # an error the step may raise; its message says what went wrong
    TIMED_OUT = "timed_out"  # the task's soft time limit
    CONNECTION_LOST = "connection_lost"  # the database connection broke: nothing can be recorded on it
    CRASHED = "crashed"  # anything else: a bug


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    error: Exception

    @property
    def detail(self) -> str:
        """An expected error's own message; for the others the error's type name only (the text of
        an unexpected error may hold anything, a secret included)."""
        return str(self.error) if self.kind is FailureKind.EXPECTED else type(self.error).__name__


def failure_classify(error: Exception, *, expected: tuple[type[Exception], ...]) -> Failure:
    """Classify in this order: expected errors (whatever they were raised from), the soft time
    limit, a lost connection (the error or one it was raised from), anything else."""
    if isinstance(error, expected):
        kind = FailureKind.EXPECTED
    elif isinstance(error, SoftTimeLimitExceeded):
        kind = FailureKind.TIMED_OUT
    elif connection_lost(error):
        kind = FailureKind.CONNECTION_LOST
    else:
        kind = FailureKind.CRASHED
    return Failure(kind=kind, error=error)

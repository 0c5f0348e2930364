"""What a phase's step can answer, and how it ends early: the vocabulary shared by the steps,
the engine that runs them and the transitions that record them.

Kept apart from the engine so a step, a transition and a test can use these without importing
the machinery that runs phases.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Done:
    """The phase finished its work."""


@dataclass(frozen=True)
class Wait:
    """The phase is waiting for the world (a provider task, SSH): run it again after `seconds`."""

    seconds: float
    reason: str = ""


class PhaseError(Exception):
    """The phase failed; `retryable` says whether another attempt may succeed. The message is
    shown to operators: it must hold no secret."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Superseded(Exception):
    """This attempt no longer owns the run (canceled, resumed elsewhere, lease lost): it stops
    quietly and records nothing more."""

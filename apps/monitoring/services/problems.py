"""What a check (or provisioning) found wrong with a server: the input of incidents_apply."""

from __future__ import annotations

from dataclasses import dataclass

from apps.monitoring.choices import IncidentKind, Severity


@dataclass(frozen=True)
class Problem:
    kind: IncidentKind
    severity: Severity
    message: str

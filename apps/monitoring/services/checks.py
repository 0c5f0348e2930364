"""health_checker: check servers over SSH (or locally), record results, update incidents.

What a check runs and how it judges the output is the check table (services/check_table.py).
The SSH work runs in a bounded thread pool on plain values, so one slow or dead host delays no
other beyond its own timeouts; the database is written afterwards, in bulk, from one thread.
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from apps.audit.choices import ActorKind, AuditAction
from apps.audit.services import audit_record
from apps.core.batching import batches
from apps.core.exceptions import ServiceUnavailableError, ValidationError
from apps.integrations.common.errors import IntegrationError
from apps.integrations.ssh import (
    CheckOutputError,
    SshAuthenticationError,
    SshHostKeyMismatchError,
    SshResult,
    SshTimeoutError,
    SshUnreachableError,
    run_checks,
    run_local_checks,
)
from apps.monitoring import task_names
from apps.monitoring.choices import ACTIVE_INCIDENT_STATUSES, CheckOutcome, IncidentKind, Severity
from apps.monitoring.models import HealthCheck, Incident
from apps.monitoring.services import check_table
from apps.monitoring.services.check_table import Target
from apps.monitoring.services.incidents import CONNECTION_KINDS, IncidentEvent, Problem, incidents_apply
from apps.monitoring.services.notifications import notifications_queue
from apps.servers.choices import Connection, HealthStatus, Lifecycle
from apps.servers.models import Server, SshKey
from apps.servers.services import servers_health_record
from apps.servers.ssh_targets import NO_ADDRESS, NO_KEY, default_login_key, login_key

log = structlog.get_logger(__name__)
ALL_KINDS = tuple(IncidentKind)


@dataclass
class Outcome:
    server_id: int
    outcome: CheckOutcome
    duration_ms: int
    figures: dict = field(default_factory=dict)
    error: str = ""
    problems: list[Problem] = field(default_factory=list)
    evaluated: tuple[str, ...] = CONNECTION_KINDS
    seen_host_key: str = ""
    seen_fingerprint: str = ""


def health_check_candidates() -> QuerySet[Server]:
    """Servers that should be up: ready ones, and discovered ones an operator gave a key."""
    return Server.objects.filter(
        Q(lifecycle=Lifecycle.READY) | Q(lifecycle=Lifecycle.DISCOVERED, ssh_key__isnull=False)
    ).order_by("id")


def _target(server: Server, default_key: SshKey | None) -> Target:
    key = login_key(server, default_key=default_key)
    return Target(
        server_id=server.pk,
        local=server.connection == Connection.LOCAL,
        host=server.effective_ssh_host,
        port=server.ssh_port,
        username=server.ssh_user,
        private_key=key.private_key if key else None,
        pinned_host_key=server.host_key or None,
        mounts=tuple(dict.fromkeys(["/", *server.disk_mounts])),
        docker=server.expects_docker,
    )


def _figures(values: Any) -> Any:
    """Parsed values as JSON-ready figures (dataclasses become dicts)."""
    if dataclasses.is_dataclass(values) and not isinstance(values, type):
        return dataclasses.asdict(values)
    if isinstance(values, dict):
        return {key: _figures(value) for key, value in values.items()}
    return values


def _evaluate(commands: dict[str, str], result: SshResult, outcome: Outcome) -> None:
    """Parse and judge each entry of the check table that ran; see services/check_table.py."""
    unread: set[str] = set()
    for spec in check_table.CHECKS:
        if spec.name not in commands:
            continue
        output = result.outputs[spec.name] if spec.required else result.outputs.get(spec.name)
        values, unreadable = None, None
        try:
            values = spec.parse(output) if output is not None else None
        except CheckOutputError as error:
            unreadable = {"exit_status": output.exit_status, "stderr": output.stderr.strip()[:300]}
            if spec.required:
                raise CheckOutputError(f"{error} (exit status {output.exit_status}: {unreadable['stderr']})") from None
        outcome.figures[spec.name] = _figures(values)
        if unreadable:
            outcome.figures.setdefault("unreadable", {})[spec.name] = unreadable
        # An entry that could not be read says nothing about its family: its incidents stay as they are.
        if values is None:
            unread.update(spec.kinds)
        elif spec.judge is not None and (problem := spec.judge(values)) is not None:
            outcome.problems.append(problem)
    outcome.evaluated = tuple(kind for kind in ALL_KINDS if kind not in unread)
    outcome.outcome = CheckOutcome.DEGRADED if outcome.problems else CheckOutcome.HEALTHY


def health_check_commands(target: Target) -> dict[str, str]:
    """{entry name: command line} of the check table's entries that apply to `target`, run in one session."""
    commands = {spec.name: spec.command(target) for spec in check_table.CHECKS}
    return {name: command for name, command in commands.items() if command is not None}


def check_target(target: Target) -> Outcome:
    """One server's check; never raises (every failure becomes an outcome)."""
    started = time.monotonic()
    outcome = Outcome(server_id=target.server_id, outcome=CheckOutcome.ERROR, duration_ms=0)
    commands = health_check_commands(target)
    try:
        if target.local:
            result = run_local_checks(commands=commands, command_timeout=settings.HEALTH_COMMAND_TIMEOUT_SECONDS)
        elif not target.private_key:
            raise ValidationError(NO_KEY)
        elif not target.host:
            raise ValidationError(NO_ADDRESS)
        else:
            result = run_checks(
                host=target.host,
                port=target.port,
                username=target.username,
                private_key=target.private_key,
                pinned_host_key=target.pinned_host_key,
                commands=commands,
                connect_timeout=settings.HEALTH_CONNECT_TIMEOUT_SECONDS,
                command_timeout=settings.HEALTH_COMMAND_TIMEOUT_SECONDS,
            )
            outcome.seen_host_key, outcome.seen_fingerprint = result.host_key, result.host_key_fingerprint
        _evaluate(commands, result, outcome)
    except SshHostKeyMismatchError as error:
        outcome.outcome, outcome.error = CheckOutcome.HOST_KEY_MISMATCH, str(error)
        outcome.seen_host_key, outcome.seen_fingerprint = error.host_key, error.fingerprint
        outcome.problems.append(Problem(IncidentKind.HOST_KEY_MISMATCH, Severity.CRITICAL, str(error)))
    except SshAuthenticationError as error:
        outcome.outcome, outcome.error = CheckOutcome.AUTH_FAILED, str(error)
        outcome.problems.append(Problem(IncidentKind.AUTH_FAILED, Severity.CRITICAL, str(error)))
    except (SshUnreachableError, SshTimeoutError) as error:
        outcome.outcome, outcome.error = CheckOutcome.UNREACHABLE, str(error)
        outcome.problems.append(Problem(IncidentKind.UNREACHABLE, Severity.CRITICAL, str(error)))
    except (IntegrationError, ValidationError, ValueError, KeyError) as error:
        outcome.outcome, outcome.error, outcome.evaluated = CheckOutcome.ERROR, str(error), ()
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


HEALTH_BY_OUTCOME = {
    CheckOutcome.HEALTHY: HealthStatus.HEALTHY,
    CheckOutcome.DEGRADED: HealthStatus.DEGRADED,
    CheckOutcome.UNREACHABLE: HealthStatus.UNREACHABLE,
    CheckOutcome.AUTH_FAILED: HealthStatus.UNREACHABLE,
    CheckOutcome.HOST_KEY_MISMATCH: HealthStatus.UNREACHABLE,
    CheckOutcome.ERROR: HealthStatus.UNKNOWN,
}


def _record(servers: dict[int, Server], outcomes: list[Outcome], now: datetime) -> list[IncidentEvent]:
    events: list[IncidentEvent] = []
    with transaction.atomic():
        HealthCheck.objects.bulk_create(
            [
                HealthCheck(
                    server_id=o.server_id,
                    checked_at=now,
                    duration_ms=o.duration_ms,
                    outcome=o.outcome,
                    figures=o.figures,
                    error=o.error[:4000],
                )
                for o in outcomes
            ]
        )
        for o in outcomes:
            server = servers[o.server_id]
            server.health_status = HEALTH_BY_OUTCOME[o.outcome]
            server.last_checked_at = now
            if o.outcome == CheckOutcome.HOST_KEY_MISMATCH:
                server.offered_host_key, server.offered_host_key_fingerprint = o.seen_host_key, o.seen_fingerprint
            elif o.seen_host_key and not server.host_key:  # trust on first use
                server.host_key, server.host_key_fingerprint = o.seen_host_key, o.seen_fingerprint
        servers_health_record(servers.values())
    # Only servers with a problem now or an incident still active have incidents to update: one
    # query finds the latter, instead of a transaction per healthy server.
    with_incidents = set(
        Incident.objects.filter(server_id__in=servers, status__in=ACTIVE_INCIDENT_STATUSES).values_list(
            "server_id", flat=True
        )
    )
    for o in outcomes:
        if o.problems or o.server_id in with_incidents:
            events += incidents_apply(server=servers[o.server_id], problems=o.problems, evaluated=o.evaluated, now=now)
    return events


def _check_and_record(server_ids: list[int]) -> tuple[list[Outcome], list[IncidentEvent]]:
    servers = {s.pk: s for s in Server.objects.filter(pk__in=server_ids).select_related("ssh_key")}
    if not servers:
        return [], []
    default_key = default_login_key()
    targets = [_target(server, default_key) for server in servers.values()]
    with ThreadPoolExecutor(max_workers=max(1, min(settings.HEALTH_CHECK_CONCURRENCY, len(targets)))) as pool:
        outcomes = list(pool.map(check_target, targets))
    events = _record(servers, outcomes, timezone.now())
    notifications_queue(events=events)
    log.info("health_checks_recorded", servers=len(outcomes), incident_events=len(events))
    return outcomes, events


def health_check_batch(*, server_ids: list[int]) -> list[IncidentEvent]:
    """Check these servers in parallel (bounded), then record the results."""
    return _check_and_record(server_ids)[1]


def health_check_now(*, server_id: int) -> Outcome | None:
    """Check one server now, recorded like a scheduled check; its outcome (None: no such server)."""
    outcomes, _ = _check_and_record([server_id])
    return outcomes[0] if outcomes else None


def _queue_batches(server_ids: list[int]) -> int:
    count = 0
    for batch in batches(server_ids, settings.HEALTH_CHECK_BATCH_SIZE):
        current_app.send_task(task_names.CHECK_BATCH, kwargs={"server_ids": list(batch)})
        count += 1
    return count


def health_check_queue(*, server_ids: list[int]) -> int:
    """Queue checks of these servers in batches (the health queue); returns how many batches.

    Raises ServiceUnavailableError (the API's 503) when the broker cannot take them.
    """
    try:
        count = _queue_batches(server_ids)
    except OperationalError as error:  # kombu's error once its bounded publish retries are spent
        log.error("health_checks_not_queued", servers=len(server_ids), error=type(error).__name__)
        raise ServiceUnavailableError("could not queue the checks: the task broker is unavailable") from error
    # One event per request, with the servers' ids (the actor: the request's signed-in user).
    one = Server.objects.filter(pk=server_ids[0]).first() if len(server_ids) == 1 else None
    audit_record(
        action=AuditAction.HEALTH_CHECK_QUEUE,
        target=one,
        target_type="" if one else Server._meta.label_lower,
        detail={"servers": len(server_ids), "batches": count, "server_ids": server_ids[:100]},
    )
    return count


def health_checker_run() -> dict[str, int]:
    """Beat, every 2 minutes: queue checks of every server that should be up; count the rest."""
    candidates = list(health_check_candidates().values_list("pk", flat=True))
    skipped = Server.objects.exclude(pk__in=candidates).exclude(lifecycle=Lifecycle.REMOVED).count()
    batches_queued = _queue_batches(candidates)
    audit_record(
        action=AuditAction.HEALTH_CHECK_RUN,
        actor_kind=ActorKind.SCHEDULE,
        target_type=Server._meta.label_lower,
        detail={"servers": len(candidates), "skipped": skipped, "batches": batches_queued},
    )
    log.info("health_checker_queued", servers=len(candidates), skipped=skipped, batches=batches_queued)
    return {"servers": len(candidates), "skipped": skipped, "batches": batches_queued}


def health_checks_cleanup(*, older_than: timedelta | None = None) -> int:
    cutoff = timezone.now() - (older_than or timedelta(days=settings.HEALTH_CHECK_RETENTION_DAYS))
    deleted, _ = HealthCheck.objects.filter(checked_at__lt=cutoff).delete()
    return deleted

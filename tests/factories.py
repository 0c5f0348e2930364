"""Model factories for tests of every app: rows with sensible defaults, the test naming only what it is about."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_celery_results.models import TaskResult

from apps.core.choices import SyncKind, Trigger
from apps.core.models import SyncRun
from apps.monitoring.models import HealthCheck, Incident
from apps.provisioning.choices import Phase, RunKind
from apps.provisioning.models import ProvisioningRun
from apps.servers.models import ProviderAccount, Server
from tests.servers.factories import provider_account

_ids = count(1)


def server(*, account: ProviderAccount | None = None, **values) -> Server:
    number = next(_ids)
    values.setdefault("hostname", f"web{number}.example.com")
    return Server.objects.create(provider_account=account or provider_account(), provider_id=str(number), **values)


def incident(
    *, on: Server, kind: str, severity: str, status: str = "open", opened_at: datetime | None = None, message: str = ""
):
    moment = opened_at or timezone.now()
    return Incident.objects.create(
        server=on, kind=kind, severity=severity, status=status, message=message, opened_at=moment, last_seen_at=moment
    )


def sync_run(*, status: str, kind: str = SyncKind.SERVER_SYNC, finished_at: datetime | None = None, error: str = ""):
    account = provider_account()
    return SyncRun.objects.create(
        kind=kind,
        status=status,
        trigger=Trigger.SCHEDULE,
        account_type=ContentType.objects.get_for_model(account),
        account_id=account.pk,
        account_name=account.name,
        finished_at=finished_at,
        error=error,
    )


def provisioning_run(*, on: Server, status: str, finished_at: datetime | None = None, error: str = ""):
    return ProvisioningRun.objects.create(
        server=on,
        kind=RunKind.PLAYBOOK,
        playbook="baseline.yml",
        status=status,
        phase=Phase.ANSIBLE,
        finished_at=finished_at,
        error=error,
    )


def task_result(
    *, task_name: str, status: str, seconds: float, done_ago: timedelta = timedelta(minutes=1), periodic: str = ""
) -> TaskResult:
    done = timezone.now() - done_ago
    result = TaskResult.objects.create(
        task_id=f"task-{next(_ids)}",
        task_name=task_name,
        periodic_task_name=periodic or None,
        status=status,
        date_started=done - timedelta(seconds=seconds),
    )
    # date_created and date_done are set by save() (auto_now_add, auto_now): set them as a
    # worker would have, when the task started and when it finished.
    TaskResult.objects.filter(pk=result.pk).update(date_created=done - timedelta(seconds=seconds), date_done=done)
    result.refresh_from_db()
    return result


def health_check(*, on: Server, outcome: str, checked_at: datetime, figures: dict | None = None) -> HealthCheck:
    return HealthCheck.objects.create(
        server=on, checked_at=checked_at, duration_ms=5, outcome=outcome, figures=figures or {}
    )

"""Helpers of the engine's tests: a run to drive with fake steps, and the phase tasks it sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from apps.provisioning.choices import Phase, RunKind
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import phase_execute
from apps.provisioning.services.requests import run_create
from apps.servers.models import Server
from tasks import app as celery_app
from tests.servers.factories import provider_account


@dataclass(frozen=True)
class SentTask:
    name: str
    kwargs: dict
    eta: datetime | None


def provision_run(**server_fields) -> ProvisioningRun:
    values = {"provider_id": "1", "hostname": "web1", "os": "debian-12-x86_64", "ssh_host": "192.0.2.10"}
    values.update(server_fields)
    server = Server.objects.create(provider_account=provider_account(), **values)
    return run_create(
        server=server, kind=RunKind.PROVISION, os_template="debian-12-x86_64", playbook="ok.yml", user=None
    )


def execute(run: ProvisioningRun, step, *, phase: Phase = Phase.ACCESS, token: int | None = None) -> str:
    """Run one phase task of `run` in this process with a fake `step` (the run's own token by default)."""
    return phase_execute(run_id=run.pk, phase=phase, token=run.token if token is None else token, step=step)


def sent_tasks(queue: str = "provisioning") -> list[SentTask]:
    """Take every message waiting in `queue` of the test broker: what was sent, in order."""
    taken = []
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_declare(queue=queue, durable=True, auto_delete=False)
        while (message := channel.basic_get(queue=queue, no_ack=True)) is not None:
            body = message.body if isinstance(message.body, (bytes, str)) else json.dumps(message.body)
            _, kwargs, _ = json.loads(body)
            eta = message.headers.get("eta")
            taken.append(SentTask(message.headers["task"], kwargs, datetime.fromisoformat(eta) if eta else None))
    return taken

"""Helpers of the provisioning tests: a provisioning worker, waiting for runs, sandbox counts."""

from __future__ import annotations

from apps.provisioning.choices import FINISHED_RUN_STATUSES
from apps.provisioning.models import ProvisioningRun
from apps.sandbox.catalog import OS_TEMPLATES
from apps.sandbox.models import SandboxTask
from apps.servers.models import Server
from tests.conftest import start_worker, wait_for

OS = OS_TEMPLATES[0][0]
WORKER_QUEUES = "provisioning,health,default"


def start_provisioning_worker(start_celery, env: dict[str, str], *, concurrency: int = 1, purge: bool = True):
    return start_worker(start_celery, queues=WORKER_QUEUES, concurrency=concurrency, purge=purge, **env)


def wait_finished(run_id: int, worker, *, timeout: float = 120) -> ProvisioningRun:
    return wait_for(
        lambda: ProvisioningRun.objects.filter(pk=run_id, status__in=FINISHED_RUN_STATUSES).first(),
        timeout=timeout,
        what=lambda: (
            f"run {run_id} to finish ({ProvisioningRun.objects.get(pk=run_id).__dict__}); "
            f"worker said:\n{worker.output()[-6000:]}"
        ),
    )


def reinstall_calls(server: Server) -> int:
    """How many reinstalls the sandbox provider received for this server."""
    return SandboxTask.objects.filter(server__server_id=int(server.provider_id), name=SandboxTask.Name.RECREATE).count()


def reset_calls(server: Server) -> int:
    """How many password resets the sandbox provider received for this server."""
    return SandboxTask.objects.filter(
        server__server_id=int(server.provider_id), name=SandboxTask.Name.RESET_PASSWORD
    ).count()


def run_output(run: ProvisioningRun) -> str:
    """The run's error and Ansible output, for assertion messages."""
    output = "".join(event.stdout + "\n" for event in run.events.order_by("seq"))
    phases = [(p.phase, p.status, p.attempts, p.error) for p in run.phases.order_by("position")]
    return f"{run.error}\nphases: {phases}\noutput:\n{output[-4000:]}"

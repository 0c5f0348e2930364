"""The ansible-playbook process of a run: recorded when it starts, stopped before another attempt."""

from __future__ import annotations

import socket

import structlog

from apps.integrations.ansible import process_start_ticks, stop_process_group
from apps.provisioning.models import ProvisioningRun

log = structlog.get_logger(__name__)


def ansible_process_record(*, run_id: int, pgid: int) -> None:
    process = {"host": socket.gethostname(), "pgid": pgid, "start": process_start_ticks(pgid)}
    ProvisioningRun.objects.filter(pk=run_id).update(ansible_process=process)


def ansible_process_stop(*, run_id: int) -> bool:
    """Stop the run's last recorded ansible-playbook if it still runs on this machine.

    A process on another machine cannot be signalled from here: it stops itself through its own
    cancel callback once it sees the run was taken over (if its worker is alive), or dies with
    its worker's terminal. Returns whether a process was stopped.
    """
    process = ProvisioningRun.objects.filter(pk=run_id).values_list("ansible_process", flat=True).first()
    if not process or process.get("host") != socket.gethostname():
        return False
    pgid = process.get("pgid")
    if not isinstance(pgid, int) or process_start_ticks(pgid) != process.get("start"):
        return False  # gone, or its id now belongs to another process
    stopped = stop_process_group(pgid)
    if stopped:
        log.warning("ansible_process_stopped", run_id=run_id, pgid=pgid)
    return stopped

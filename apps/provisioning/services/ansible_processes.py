"""The ansible-playbook process of a run (or a job): recorded when it starts, stopped before
another attempt. The record is the row's `ansible_process` field: {"host", "pgid", "start"}."""

from __future__ import annotations

import socket

import structlog
from django.db.models import QuerySet

from apps.integrations.ansible import process_start_ticks, stop_process_group
from apps.provisioning.models import ProvisioningRun

log = structlog.get_logger(__name__)


def recorded_process_save(rows: QuerySet, *, pgid: int) -> None:
    """Record on `rows` (one run's or job's row) the process group of the playbook just started here."""
    rows.update(ansible_process={"host": socket.gethostname(), "pgid": pgid, "start": process_start_ticks(pgid)})


def recorded_process_stop(rows: QuerySet, **log_fields) -> bool:
    """Stop the playbook recorded on `rows` if it still runs on this machine.

    A process on another machine cannot be signalled from here: it stops itself through its own
    cancel callback once it sees the run was taken over (if its worker is alive), or dies with
    its worker's terminal. Returns whether a process was stopped.
    """
    process = rows.values_list("ansible_process", flat=True).first()
    if not process or process.get("host") != socket.gethostname():
        return False
    pgid = process.get("pgid")
    if not isinstance(pgid, int) or process_start_ticks(pgid) != process.get("start"):
        return False  # gone, or its id now belongs to another process
    stopped = stop_process_group(pgid)
    if stopped:
        log.warning("ansible_process_stopped", pgid=pgid, **log_fields)
    return stopped


def ansible_process_record(*, run_id: int, pgid: int) -> None:
    recorded_process_save(ProvisioningRun.objects.filter(pk=run_id), pgid=pgid)


def ansible_process_stop(*, run_id: int) -> bool:
    """Stop the run's last recorded ansible-playbook if it still runs on this machine."""
    return recorded_process_stop(ProvisioningRun.objects.filter(pk=run_id), run_id=run_id)

"""Who holds a run while a phase runs, and the thread that keeps holding it.

A holder is named after its process: `host:pid:start` (start = the process's start time in clock
ticks, which tells a live process from a later one that reused its pid). On its own machine a
holder whose process is gone is known dead at once; anywhere else it is dead once its lease ran
out, because a live holder renews the lease every PROVISIONING_LEASE_SECONDS / 6
(apps/provisioning/limits.py). A frozen process (SIGSTOP, a paused VM) renews nothing either:
its lease runs out like a dead one's, and the fences of transitions.py stop it when it wakes.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass

import structlog
from django.db import connection

from apps.integrations.ansible import process_is_zombie, process_start_ticks
from apps.provisioning.limits import lease_renew_every

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    start: int | None

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start if self.start is not None else ''}"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        host, _, rest = (text or "").rpartition(":")
        host, _, pid = host.rpartition(":")
        if not host or not pid.isdigit():
            return None
        return cls(host=host, pid=int(pid), start=int(rest) if rest.isdigit() else None)


def this_process() -> Holder:
    pid = os.getpid()
    return Holder(host=socket.gethostname(), pid=pid, start=process_start_ticks(pid))


def holder_gone_here(text: str) -> bool:
    """Whether `text` names a process of this machine that no longer runs (or runs no more as that
    process: its pid now belongs to another). False for holders on other machines: only their
    lease can tell."""
    holder = Holder.parse(text)
    if holder is None or holder.host != socket.gethostname():
        return False
    return process_start_ticks(holder.pid) != holder.start or process_is_zombie(holder.pid)


class LeaseKeeper:
    """Renews a run's lease from a thread while a phase's step runs in the calling thread.

    `renew()` returns False once the run is no longer this attempt's; the keeper then stops and
    `lost` stays True, which the Ansible phase's cancel callback reads to stop its playbook.
    """

    def __init__(self, renew) -> None:
        self._renew = renew
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name="provisioning-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self._stop.wait(lease_renew_every()):
                try:
                    if not self._renew():
                        self.lost = True
                        return
                except Exception:  # a database hiccup: the next renewal may succeed, the lease has time
                    log.warning("provisioning_lease_renewal_failed", exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection

"""Run one playbook against the hosts of an inventory with ansible-runner, and nothing left behind.

- A fresh private data directory per run, removed afterwards: ansible-runner writes what it is
  given under it, and a reused directory would keep stale values.
- The SSH key goes through ansible-runner's `ssh_key` (a FIFO read by ssh-agent): never a file.
- Host keys are checked against a known_hosts file of this run holding only the pinned key.
- `cancel_callback` is always passed: without one, ansible-runner installs its own SIGTERM and
  SIGINT handlers in the calling (worker) process and never restores them.
- Events reach `event_handler` as they arrive and are not written to disk (the caller stores
  them); the run's stats come from the `playbook_on_stats` event.
- The process group of ansible-playbook is reported (`on_process`) so that another process can
  stop it if this one dies, and it is stopped here whenever the run ends abnormally.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

from apps.integrations.ssh.hosts import ssh_host_problem

STATS_FIELDS = {
    "ok": "ok",
    "changed": "changed",
    "failures": "failed",
    "dark": "unreachable",
    "skipped": "skipped",
    "rescued": "rescued",
    "ignored": "ignored",
}


@dataclass
class PlaybookResult:
    """status: successful, failed, timeout, canceled (ansible-runner's words); rc: ansible-playbook's."""

    status: str
    rc: int | None
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def unreachable(self) -> bool:
        return any(host.get("unreachable") for host in self.stats.values())


def stats_from_event(event_data: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """{host: {ok, changed, failed, unreachable, skipped, rescued, ignored}} from playbook_on_stats."""
    stats: dict[str, dict[str, int]] = {}
    for source, name in STATS_FIELDS.items():
        for host, count in (event_data.get(source) or {}).items():
            stats.setdefault(host, dict.fromkeys(STATS_FIELDS.values(), 0))[name] = int(count)
    return stats


def stop_process_group(pgid: int, *, grace_seconds: float = 3.0) -> bool:
    """Stop a process group: SIGTERM, then SIGKILL after the grace period. False if it was gone."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    return True


def run_playbook(
    *,
    playbook_dir: Path,
    playbook: str,
    inventory: dict[str, Any],
    extravars: dict[str, Any],
    config_file: Path,
    work_root: Path,
    timeout: int,
    cancel_callback: Callable[[], bool],
    event_handler: Callable[[dict[str, Any]], None],
    on_process: Callable[[int], None] | None = None,
    ssh_key: str | None = None,
    known_hosts: str | None = None,
    private_dir_prefix: str = "ansible-",
    forks: int | None = None,
    envvars: Mapping[str, str] | None = None,
) -> PlaybookResult:
    """Run `playbook` (a file in `playbook_dir`) against the hosts of `inventory`, `forks` at a time.

    `known_hosts` ("[host]:port type base64" lines) turns strict host key checking on against
    exactly those keys. `envvars` adds to the environment of ansible-playbook (never replacing the
    settings below). The private data directory is created in `work_root` with a name starting
    with `private_dir_prefix` (so a caller can find one a killed process left). Raises OSError
    when the work directory cannot be created, and ValueError for an `ansible_host` that is not an
    IP address or a host name (it would reach ssh's command line).
    """
    for alias, host_vars in (inventory.get("all", {}).get("hosts") or {}).items():
        address = (host_vars or {}).get("ansible_host")
        problem = ssh_host_problem(address) if address is not None else None
        if problem:
            raise ValueError(f"refusing ansible_host {address!r} of {alias!r}: {problem}")
    work_root.mkdir(parents=True, exist_ok=True)
    private_dir = Path(tempfile.mkdtemp(prefix=private_dir_prefix, dir=work_root))
    stats: dict[str, dict[str, int]] = {}
    pgid: list[int] = []

    def handle_event(event_data: dict[str, Any]) -> bool:
        if not pgid and event_data.get("pid"):
            try:
                pgid.append(os.getpgid(int(event_data["pid"])))
            except (ProcessLookupError, ValueError):
                pass
            else:
                if on_process is not None:
                    on_process(pgid[0])
        if event_data.get("event") == "playbook_on_stats":
            stats.update(stats_from_event(event_data.get("event_data") or {}))
        event_handler(event_data)
        return False  # stored by the caller: nothing to write under the artifacts directory

    # The Ansible installed beside this interpreter (the platform's pinned one), not whatever the
    # PATH of the worker's service manager finds first.
    bin_dir = Path(sys.executable).parent
    environment = {
        **(envvars or {}),
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", os.defpath)]),
        "ANSIBLE_CONFIG": str(config_file),
        "ANSIBLE_HOME": str(private_dir / "home"),
        "ANSIBLE_LOCAL_TEMP": str(private_dir / "tmp"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(private_dir / "cp"),
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        # Ansible sees a terminal (ansible-runner's pty): without this the stored output holds colour codes.
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        # Python's compile-time warnings about strings Ansible evaluates ("invalid decimal
        # literal" for a value such as 1st): dozens of lines of noise in the run's output.
        "PYTHONWARNINGS": "ignore::SyntaxWarning",
    }
    finished = False
    try:
        # Inside the try: a disk that fills up here must not leave the private directory behind.
        if known_hosts is not None:
            known_hosts_file = private_dir / "known_hosts"
            known_hosts_file.write_text(known_hosts)
            environment["ANSIBLE_SSH_COMMON_ARGS"] = (
                f"-o UserKnownHostsFile={known_hosts_file} -o GlobalKnownHostsFile=/dev/null "
                "-o StrictHostKeyChecking=yes"
            )
        runner = ansible_runner.run(
            private_data_dir=str(private_dir),
            project_dir=str(playbook_dir),
            playbook=playbook,
            inventory=inventory,
            extravars=extravars,
            envvars=environment,
            ssh_key=ssh_key,
            forks=forks,
            suppress_env_files=True,
            cancel_callback=cancel_callback,
            event_handler=handle_event,
            timeout=timeout,
            quiet=True,
            ident="run",
            settings={"pexpect_timeout": 1, "suppress_ansible_output": True},
        )
        finished = True
        return PlaybookResult(status=runner.status, rc=runner.rc, stats=stats)
    finally:
        # An exception (the calling task's time limit, an error in a callback) left ansible-runner's
        # loop early: no ansible-playbook of this run may outlive the call.
        if pgid and not finished:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid[0], signal.SIGKILL)
        shutil.rmtree(private_dir, ignore_errors=True)


def process_start_ticks(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot), to tell it from a later process that
    reused its id; None when there is no such process (or no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 else None


def process_is_zombie(pid: int) -> bool:
    """Whether `pid` has ended but not been reaped (where nobody reaps orphans, as in some
    containers): dead as a holder, though its process group may live on."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[-1].split()
    return bool(fields) and fields[0] in ("Z", "X")

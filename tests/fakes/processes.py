"""This machine's processes as /proc shows them, for ending exactly the processes a test started.

Other people's test runs share the machine (and the SSH tests' user), so nothing here matches by
name or user alone: processes are chosen by ancestry, or by what their environment says.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Functions of a process table that return processes a fake started and that a test run would
# not otherwise recognise as its own (tests/process_guard.py asks them at the end of the run).
leftover_finders: list[Callable[[dict[int, Process]], Iterable[Process]]] = []


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    state: str  # "Z": a zombie (dead, not yet reaped)
    uid: int
    started: int  # clock ticks since boot: tells a process from a later one that reused its pid

    @property
    def started_seconds(self) -> float:
        """Seconds since boot (time.clock_gettime(time.CLOCK_BOOTTIME) reads the same clock)."""
        return self.started / CLOCK_TICKS

    def command_line(self) -> str:
        try:
            raw = (PROC / str(self.pid) / "cmdline").read_bytes()
        except OSError:
            return "?"
        return raw.replace(b"\0", b" ").decode(errors="replace").strip() or "?"

    def environment(self) -> dict[str, str]:
        try:
            raw = (PROC / str(self.pid) / "environ").read_bytes()
        except OSError:
            return {}
        pairs = (entry.decode(errors="replace").partition("=") for entry in raw.split(b"\0") if entry)
        return {name: value for name, _, value in pairs}


def read_process(pid: int) -> Process | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        uid = (PROC / str(pid)).stat().st_uid
    except (OSError, ValueError):
        return None
    # "pid (command) state ppid ...": the command may hold spaces and parentheses.
    fields = stat[stat.rindex(")") + 2 :].split()
    return Process(pid=pid, ppid=int(fields[1]), state=fields[0], uid=uid, started=int(fields[19]))


def process_table() -> dict[int, Process]:
    table = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (process := read_process(int(entry.name))) is not None:
            table[process.pid] = process
    return table


def descendants(pid: int, table: dict[int, Process] | None = None) -> list[Process]:
    """Every living (not zombie) process below `pid`, parents before their children."""
    table = table if table is not None else process_table()
    children: dict[int, list[Process]] = {}
    for process in table.values():
        children.setdefault(process.ppid, []).append(process)
    found, queue = [], list(children.get(pid, []))
    while queue:
        process = queue.pop(0)
        if process.state != "Z":
            found.append(process)
        queue.extend(children.get(process.pid, []))
    return found


def signal_all(processes: Iterable[Process], sig: signal.Signals) -> None:
    """Send `sig` to each process that is still the one we saw (same pid and start time)."""
    for process in processes:
        current = read_process(process.pid)
        if current is not None and current.started == process.started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(process.pid, sig)


def kill_frozen(select: Callable[[dict[int, Process]], Iterable[Process]], *, rounds: int = 20) -> list[Process]:
    """Stop every process `select` picks from the process table, again until it picks no new
    one (a stopped process cannot fork, so a tree cannot grow while it is taken down), then kill
    them all. Returns the processes killed."""
    frozen: dict[int, Process] = {}
    for _ in range(rounds):
        new = [process for process in select(process_table()) if process.pid not in frozen]
        if not new:
            break
        signal_all(new, signal.SIGSTOP)
        frozen.update((process.pid, process) for process in new)
    signal_all(frozen.values(), signal.SIGKILL)
    return list(frozen.values())


def children_of(pid: int) -> list[int]:
    """The pids of `pid`'s living children."""
    return [process.pid for process in process_table().values() if process.ppid == pid and process.state != "Z"]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def process_group_of(pid: int) -> list[Process]:
    """`pid` and its descendants in its process group: what a SIGSTOP of the group reaches (a
    child that made itself a session leader, as ansible-playbook does, is not in it)."""
    group = os.getpgid(pid)
    members = [process for process in [read_process(pid), *descendants(pid)] if process is not None]
    in_group = []
    for process in members:
        with contextlib.suppress(ProcessLookupError):
            if os.getpgid(process.pid) == group:
                in_group.append(process)
    return in_group


def freeze(pid: int) -> list[Process]:
    """SIGSTOP `pid`'s process group members (a paused VM, `docker pause`, Ctrl-Z); returns them."""
    frozen = process_group_of(pid)
    signal_all(frozen, signal.SIGSTOP)
    return frozen


def thaw(processes: list[Process]) -> None:
    signal_all(processes, signal.SIGCONT)

"""pytest plugin: a run fails when a test leaves a process running (loaded by tests/conftest.py).

Every test ends the processes it starts, also on failure. Once every test and fixture has
finished (and a short grace), the processes of the run still alive are listed with the test they
started during, killed, and fail the run. A process of the run is one
- below the pytest process, or
- carrying the run's mark in its environment (RUN_MARK, set here and inherited by whatever the
  run starts): so found even once orphaned and adopted by init (a daemonizing ssh, a background
  `sleep &` whose shell exited), or
- found by a finder a fake registered (tests.fakes.processes.leftover_finders): the test sshd
  finds the commands its sessions started, whose environment sshd built afresh.

The run does not adopt orphans itself (PR_SET_CHILD_SUBREAPER): nothing would reap them, and
a killed process group would stay visible as zombies to the code and tests that look for it.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from tests.fakes.processes import CLOCK_TICKS, Process, descendants, kill_frozen, leftover_finders, process_table

RUN_MARK = "FLEET_TEST_RUN"
GRACE_OPTION = "process_guard_grace_seconds"
TEST_TIMES = pytest.StashKey[list[tuple[str, float, float]]]()
LEFTOVERS = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(GRACE_OPTION, "seconds the processes still running at the end get to exit", default="10")


def pytest_configure(config: pytest.Config) -> None:
    # A run started by a test (tests/test_process_guard.py) gets a mark of its own.
    os.environ[RUN_MARK] = f"{os.getpid()}-{uuid.uuid4().hex}"
    config.stash[TEST_TIMES] = []
    config.stash[LEFTOVERS] = []


def _now() -> float:
    """Seconds since boot, the clock /proc's process start times count in."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    started = _now()
    try:
        return (yield)
    finally:
        item.config.stash[TEST_TIMES].append((item.nodeid, started, _now()))


def processes_of_this_run(table: dict[int, Process]) -> list[Process]:
    me, mark = os.getpid(), os.environ[RUN_MARK]
    found = {process.pid: process for process in descendants(me, table)}
    for process in table.values():
        ours = process.pid != me and process.state != "Z" and process.pid not in found
        if ours and process.environment().get(RUN_MARK) == mark:
            found[process.pid] = process
    for finder in leftover_finders:
        found.update((process.pid, process) for process in finder(table) if process.state != "Z")
    return list(found.values())


def _started_during(process: Process, times: list[tuple[str, float, float]]) -> str:
    """The test that was running when the process started; /proc counts start times in clock
    ticks (truncated), so a test that lasted less than a tick may share the honour."""
    earliest, latest = process.started_seconds, process.started_seconds + 1 / CLOCK_TICKS
    running = [nodeid for nodeid, started, ended in times if started <= latest and ended >= earliest]
    return " or ".join(running) if running else "no test (collection)"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    deadline = time.monotonic() + float(session.config.getini(GRACE_OPTION))
    while (left := processes_of_this_run(process_table())) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not left:
        return
    times = session.config.stash[TEST_TIMES]
    session.config.stash[LEFTOVERS] = [
        f"pid {process.pid}: {process.command_line()} (started during {_started_during(process, times)})"
        for process in sorted(left, key=lambda process: process.started)
    ]
    kill_frozen(processes_of_this_run)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if left := config.stash.get(LEFTOVERS, []):
        terminalreporter.section("processes the tests left running (now killed)", sep="=", red=True, bold=True)
        for line in left:
            terminalreporter.line(line, red=True)

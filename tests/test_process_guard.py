"""tests/process_guard.py fails a run whose tests leave processes running, naming them and the test.

Each case runs pytest for real on a small test file of its own, with the guard loaded as the
suite loads it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import REPO_ROOT, wait_for
from tests.fakes.processes import process_table

TESTS = """
import shutil
import subprocess
import time

from apps.integrations.ssh import run_checks
from tests.fakes.sshd import TestSshd


# /proc counts start times in clock ticks: the pauses keep each start ticks away from the
# neighbouring tests', so the report names one test.
def test_leaves_a_child(tmp_path):
    time.sleep(0.1)
    subprocess.Popen(["sleep", "{child}"])
    time.sleep(0.1)


def test_leaves_an_orphan():
    time.sleep(0.1)
    # The shell exits at once: its background sleep is orphaned, a child of init.
    subprocess.run(["sh", "-c", "sleep {orphan} &"], check=True)
    time.sleep(0.1)


def test_leaves_a_remote_command():
    time.sleep(0.1)
    sshd = TestSshd().start()
    try:
        run_checks(
            host=sshd.host,
            port=sshd.port,
            username=sshd.username,
            private_key=sshd.private_key,
            pinned_host_key=None,
            commands={{"detach": "nohup sleep {remote} >/dev/null 2>&1 &"}},
            connect_timeout=5,
            command_timeout=5,
        )
    finally:
        # The listener alone, as the sshd's stop() did before it ended its sessions' commands too:
        # the detached sleep is left, a child of init with an environment sshd made.
        sshd.process.terminate()
        sshd.process.wait()
        shutil.rmtree(sshd.dir)
    time.sleep(0.1)


def test_ends_what_it_starts():
    process = subprocess.Popen(["sleep", "{ended}"])
    process.kill()
    process.wait()
"""


def sleeps(seconds: str) -> list[int]:
    """Pids of the living `sleep <seconds>` processes on this machine (each case's seconds are unique)."""
    return [p.pid for p in process_table().values() if p.state != "Z" and p.command_line() == f"sleep {seconds}"]


def run_pytest(tmp_path: Path, source: str, *selection: str) -> subprocess.CompletedProcess:
    test_file = tmp_path / "test_cases.py"
    test_file.write_text(source)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(test_file),
            *selection,
            "-p",
            "tests.process_guard",
            "-p",
            "no:django",
            "-p",
            "no:cacheprovider",
            "-o",
            "process_guard_grace_seconds=1",
            "--rootdir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def unique_seconds() -> dict[str, str]:
    # Distinct durations (e.g. 600.12345) tell this case's sleeps from any other on the machine.
    return {name: f"600.{uuid.uuid4().int % 10**8:08d}" for name in ("child", "orphan", "remote", "ended")}


def test_a_run_whose_tests_leave_processes_fails_and_names_them_and_their_tests(tmp_path):
    seconds = unique_seconds()

    result = run_pytest(tmp_path, TESTS.format(**seconds))

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "4 passed" in output  # every test passed: the leftovers alone fail the run
    assert "processes the tests left running (now killed)" in output
    assert f"sleep {seconds['child']} (started during test_cases.py::test_leaves_a_child)" in output
    assert f"sleep {seconds['orphan']} (started during test_cases.py::test_leaves_an_orphan)" in output
    assert f"sleep {seconds['remote']} (started during test_cases.py::test_leaves_a_remote_command)" in output
    assert f"sleep {seconds['ended']}" not in output
    wait_for(
        lambda: not any(sleeps(seconds[name]) for name in ("child", "orphan", "remote")), timeout=5, what="the kill"
    )


def test_a_run_whose_tests_end_their_processes_passes(tmp_path):
    result = run_pytest(tmp_path, TESTS.format(**unique_seconds()), "-k", "ends_what_it_starts")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "left running" not in result.stdout

"""Run the check commands on this machine (servers with the `local` connection), like run_checks."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping

from .errors import SshTimeoutError
from .results import MAX_OUTPUT_BYTES, BoundedBuffer, CommandOutput, SshResult


def run_local_checks(*, commands: Mapping[str, str], command_timeout: float) -> SshResult:
    """Run each of `commands` ({name: shell command line}) with /bin/sh, each within `command_timeout`.

    A command that outlives it is killed (with its process group) and SshTimeoutError is raised.
    """
    started = time.monotonic()
    outputs = {name: _run(name, command, command_timeout) for name, command in commands.items()}
    return SshResult(
        host_key="", host_key_fingerprint="", outputs=outputs, duration_ms=int((time.monotonic() - started) * 1000)
    )


def _run(name: str, command: str, timeout: float) -> CommandOutput:
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(  # noqa: S602 - the caller passes its own fixed, read-only commands
            command,
            shell=True,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise SshTimeoutError(f"local command {name!r} did not finish within {timeout:g}s") from None
        out, err = BoundedBuffer(), BoundedBuffer()
        for buffer, file in ((out, stdout), (err, stderr)):
            file.seek(0)
            buffer.feed(file.read(MAX_OUTPUT_BYTES + 1))
    return CommandOutput(status if status >= 0 else -1, out.text(), err.text(), out.truncated or err.truncated)


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()

"""A redis-server of a test's or benchmark's own, on a free loopback port, never the shared one.

A test that stops the broker stops ITS Redis; the worker, beat and web it starts point at it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.fakes.ports import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A redis-server on a free loopback port, configured like production's broker (append-only
    file, fsync every second, noeviction), so queued messages survive a stop and start.
    `extra_args` are appended to its command line (a later option wins)."""

    def __init__(self, directory: Path, *extra_args: str) -> None:
        self.directory = directory
        self.extra_args = list(extra_args)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        self._log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--maxmemory-policy",
                "noeviction",
                *self.extra_args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while not self.ping():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"redis-server on port {self.port} did not start:\n{self.output()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits, as a restarted service would."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        if self._log is not None:
            self._log.close()
            self._log = None

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def output(self) -> str:
        return (self.directory / "redis.log").read_text(errors="replace")

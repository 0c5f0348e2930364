"""The MCP server as `make run` and compose run it: `manage.py mcp` in a process of its own, on the
test database, on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import REPO_ROOT, wait_for
from tests.fakes.ports import free_port

# Straight to the local server, whatever proxy the environment names.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _live(base: str) -> bool:
    try:
        with DIRECT.open(f"{base}/health/live", timeout=2) as response:  # http://127.0.0.1 only
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class McpProcess:
    """`manage.py mcp --port <free>`; `url` is its endpoint, `output()` what it logged."""

    def __init__(self, env: dict[str, str], log_path: Path, *, command: list[str] | None = None, port: int = 0) -> None:
        """`command` (default: manage.py mcp on a free port) must listen on 127.0.0.1:`port`."""
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            command or [sys.executable, "manage.py", "mcp", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: self.process.poll() is not None or _live(self.base), timeout=60, what=lambda: self.output()
            )
            assert self.process.poll() is None, self.output()
        except BaseException:
            self.stop()
            raise

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

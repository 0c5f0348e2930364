"""What a run of checks returns, over SSH or on this machine."""

from __future__ import annotations

from dataclasses import dataclass, field

#: At most this many bytes of a command's stdout (and of its stderr) are kept; the rest is read and dropped.
MAX_OUTPUT_BYTES = 64 * 1024


@dataclass(frozen=True)
class CommandOutput:
    exit_status: int  # -1 when the command ended without one (killed by a signal)
    stdout: str
    stderr: str
    truncated: bool = False  # True when stdout or stderr was longer than MAX_OUTPUT_BYTES


@dataclass(frozen=True)
class SshResult:
    host_key: str  # "type base64" of the server's host key; "" for the local runner
    host_key_fingerprint: str  # "SHA256:..."; "" for the local runner
    outputs: dict[str, CommandOutput] = field(default_factory=dict)
    duration_ms: int = 0


class BoundedBuffer:
    """Collects bytes up to MAX_OUTPUT_BYTES and remembers whether more were dropped."""

    def __init__(self, limit: int = MAX_OUTPUT_BYTES) -> None:
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def feed(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

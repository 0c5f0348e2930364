"""SSH client of the platform: run read-only check commands on a server (or on this machine) and
parse their output; generate and read SSH keys. Imports nothing from the domain apps."""

from .checks import (
    DOCKER_VERSION_COMMAND,
    HEALTH_COMMANDS,
    CheckOutputError,
    DiskUsage,
    LoadAverage,
    MemoryInfo,
    parse_df,
    parse_loadavg,
    parse_meminfo,
)
from .client import run_checks
from .errors import (
    InvalidKeyError,
    SshAuthenticationError,
    SshError,
    SshHostKeyMismatchError,
    SshInvalidHostError,
    SshProtocolError,
    SshTimeoutError,
    SshUnreachableError,
)
from .hosts import ssh_host_problem
from .keys import KeyMaterial, generate_ed25519, host_key_fingerprint, parse_private_key
from .local import run_local_checks
from .results import MAX_OUTPUT_BYTES, CommandOutput, SshResult

__all__ = [
    "DOCKER_VERSION_COMMAND",
    "HEALTH_COMMANDS",
    "MAX_OUTPUT_BYTES",
    "CheckOutputError",
    "CommandOutput",
    "DiskUsage",
    "InvalidKeyError",
    "KeyMaterial",
    "LoadAverage",
    "MemoryInfo",
    "SshAuthenticationError",
    "SshError",
    "SshHostKeyMismatchError",
    "SshInvalidHostError",
    "SshProtocolError",
    "SshResult",
    "SshTimeoutError",
    "SshUnreachableError",
    "generate_ed25519",
    "host_key_fingerprint",
    "parse_df",
    "parse_loadavg",
    "parse_meminfo",
    "parse_private_key",
    "run_checks",
    "run_local_checks",
    "ssh_host_problem",
]

"""Run read-only commands on a server over SSH, with its host key pinned or trusted on first use.

Every phase is bounded: the TCP connect, the banner, the key exchange and the authentication by
`connect_timeout`; each command by `command_timeout` (its whole run, not only its silences).
"""

from __future__ import annotations

import base64
import contextlib
import io
import socket
import time
from collections.abc import Mapping

import paramiko

from .errors import (
    SshAuthenticationError,
    SshError,
    SshHostKeyMismatchError,
    SshInvalidHostError,
    SshProtocolError,
    SshTimeoutError,
    SshUnreachableError,
)
from .hosts import ssh_host_problem
from .keys import fingerprint_of_blob, host_key_fingerprint, parse_private_key, split_key_line
from .results import BoundedBuffer, CommandOutput, SshResult

_PKEY_CLASSES = {"ed25519": paramiko.Ed25519Key, "rsa": paramiko.RSAKey, "ecdsa": paramiko.ECDSAKey}
_POLL_SECONDS = 0.01


class _TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
    """Accepts the key of this one connection (no key is known yet) and records it for the caller."""

    def __init__(self) -> None:
        self.seen: paramiko.PKey | None = None

    def missing_host_key(self, client, hostname, key) -> None:
        self.seen = key


def run_checks(
    *,
    host: str,
    port: int,
    username: str,
    private_key: str | None,
    pinned_host_key: str | None,
    commands: Mapping[str, str],
    connect_timeout: float,
    command_timeout: float,
    password: str | None = None,
) -> SshResult:
    """Connect as `username` with `private_key` (or, without one, `password`) and run each of
    `commands` ({name: command line}).

    With `pinned_host_key` ("type base64") the server must present that key, or
    SshHostKeyMismatchError is raised before any command runs; with None the key it presents is
    accepted for this connection and returned in the result for the caller to pin. A `host` that
    is not an IP address or a host name is refused (SshInvalidHostError) before anything is sent.
    """
    started = time.monotonic()
    problem = ssh_host_problem(host)
    if problem:
        raise SshInvalidHostError(f"refusing SSH address {host!r}: {problem}")
    where = f"{username}@{host}:{port}"
    if private_key is None and not password:
        raise ValueError("a private key or a password is required")
    pkey = None
    if private_key is not None:
        material = parse_private_key(private_key)
        pkey = _PKEY_CLASSES[material.key_type].from_private_key(io.StringIO(material.private_key))
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    tofu = None
    if pinned_host_key:
        key_type, blob = split_key_line(pinned_host_key)
        hostname = host if port == 22 else f"[{host}]:{port}"
        client.get_host_keys().add(hostname, key_type, paramiko.PKey.from_type_string(key_type, blob))
    else:
        tofu = _TrustOnFirstUse()
        client.set_missing_host_key_policy(tofu)
    sock = _open_socket(host, port, connect_timeout, where)
    try:
        _connect(client, sock, host, port, username, pkey, connect_timeout, where, pinned_host_key, password)
        server_key = client.get_transport().get_remote_server_key()
        host_key = f"{server_key.get_name()} {server_key.get_base64()}"
        outputs = {
            name: _run_command(client, name, command, command_timeout, where) for name, command in commands.items()
        }
    finally:
        client.close()
        sock.close()
    return SshResult(
        host_key=host_key,
        host_key_fingerprint=host_key_fingerprint(host_key),
        outputs=outputs,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _open_socket(host: str, port: int, timeout: float, where: str) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror as error:
        raise SshUnreachableError(f"cannot resolve {host!r} ({where}): {error.strerror or error}") from None
    except TimeoutError:
        raise SshUnreachableError(f"TCP connect to {where} timed out after {timeout:g}s") from None
    except OSError as error:
        raise SshUnreachableError(f"cannot connect to {where}: {error.strerror or error}") from None


def _connect(client, sock, host, port, username, pkey, timeout, where, pinned_host_key, password=None) -> None:
    started = time.monotonic()
    try:
        client.connect(
            host,
            port=port,
            username=username,
            pkey=pkey,
            password=password if pkey is None else None,
            sock=sock,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            look_for_keys=False,
            allow_agent=False,
        )
    except paramiko.BadHostKeyException as error:
        seen = f"{error.key.get_name()} {error.key.get_base64()}"
        fingerprint = fingerprint_of_blob(base64.b64decode(error.key.get_base64()))
        raise SshHostKeyMismatchError(
            f"{where} presented host key {fingerprint}, not the pinned {host_key_fingerprint(pinned_host_key)}; "
            "no command was run",
            host_key=seen,
            fingerprint=fingerprint,
            expected_fingerprint=host_key_fingerprint(pinned_host_key),
        ) from None
    except paramiko.AuthenticationException as error:
        if "timeout" in str(error).lower():
            raise SshTimeoutError(f"{where} did not answer the authentication within {timeout:g}s") from None
        if pkey is None:
            raise SshAuthenticationError(f"{where} refused the password") from None
        raise SshAuthenticationError(f"{where} refused the key (SHA256 {_key_fingerprint(pkey)})") from None
    except (paramiko.SSHException, TimeoutError, EOFError, OSError) as error:
        # paramiko ends a stalled handshake without saying so ("No existing session" afterwards),
        # and when it says so depends on its threads' timing. What does not: a server that never
        # sent its SSH banner accepted the TCP connection and then stalled.
        transport = client.get_transport()
        no_banner = transport is None or not getattr(transport, "remote_version", "")
        stalled = no_banner or time.monotonic() - started >= timeout * 0.9
        raise _session_error(error, where, timeout, "during the SSH handshake", stalled=stalled) from None


def _session_error(error: BaseException, where: str, timeout: float, phase: str, *, stalled: bool = False) -> SshError:
    cause = error.__context__ or error.__cause__
    text = str(error)
    if stalled or isinstance(error, TimeoutError) or isinstance(cause, TimeoutError) or "timed out" in text.lower():
        return SshTimeoutError(f"{where} accepted the connection but stalled {phase} ({timeout:g}s)")
    if isinstance(error, (EOFError, ConnectionError)) or isinstance(cause, (EOFError, ConnectionError)):
        return SshUnreachableError(f"{where} closed the connection {phase}")
    return SshProtocolError(f"{where}: SSH protocol error {phase}: {text or type(error).__name__}")


def _key_fingerprint(pkey: paramiko.PKey) -> str:
    return fingerprint_of_blob(base64.b64decode(pkey.get_base64())).removeprefix("SHA256:")


def _end_remote_command(channel: paramiko.Channel) -> None:
    """Kill a command that outlived its time-out, then close its channel.

    Closing the channel alone ends nothing on the server: without a terminal, sshd leaves the
    command running (a stalled `df` on a hung mount, say) after the connection is gone. The
    "signal" channel request (RFC 4254 §6.9), which OpenSSH's sshd honours for a command
    session by signalling its process group, ends it. paramiko has no call for this request, so
    it is sent as the channel's own requests are (exec, env). Best effort: a server that ignores
    it still gets the channel closed.
    """
    message = paramiko.Message()
    message.add_byte(paramiko.common.cMSG_CHANNEL_REQUEST)
    message.add_int(channel.remote_chanid)
    message.add_string("signal")
    message.add_boolean(False)  # no reply wanted
    message.add_string("KILL")
    with contextlib.suppress(paramiko.SSHException, OSError, EOFError):
        channel.transport._send_user_message(message)
    channel.close()


def _run_command(client, name: str, command: str, timeout: float, where: str) -> CommandOutput:
    """Run one command; read its stdout and stderr (bounded) and exit status within `timeout`."""
    deadline = time.monotonic() + timeout
    try:
        _stdin, stdout, _stderr = client.exec_command(command, timeout=timeout)
        channel = stdout.channel
        channel.shutdown_write()
        out, err = BoundedBuffer(), BoundedBuffer()
        while True:
            if channel.recv_ready():
                out.feed(channel.recv(32768))
            elif channel.recv_stderr_ready():
                err.feed(channel.recv_stderr(32768))
            elif channel.exit_status_ready() or channel.closed:
                break
            elif time.monotonic() >= deadline:
                _end_remote_command(channel)
                raise SshTimeoutError(f"command {name!r} on {where} did not finish within {timeout:g}s")
            else:
                time.sleep(_POLL_SECONDS)
        while channel.recv_ready() or channel.recv_stderr_ready():
            out.feed(channel.recv(32768)) if channel.recv_ready() else err.feed(channel.recv_stderr(32768))
        status = channel.recv_exit_status() if channel.exit_status_ready() else -1
        channel.close()
    except SshError:
        raise
    except (paramiko.SSHException, TimeoutError, EOFError, OSError) as error:
        raise _session_error(error, where, timeout, f"running command {name!r}") from None
    return CommandOutput(status, out.text(), err.text(), out.truncated or err.truncated)

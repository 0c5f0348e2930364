"""run_checks against a real OpenSSH sshd on loopback (tests/fakes/sshd.py)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from apps.integrations.ssh import (
    MAX_OUTPUT_BYTES,
    SshAuthenticationError,
    SshHostKeyMismatchError,
    SshTimeoutError,
    SshUnreachableError,
    generate_ed25519,
    host_key_fingerprint,
    run_checks,
)
from tests.conftest import wait_for


def run(sshd, commands, **overrides):
    options = {
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "private_key": sshd.private_key,
        "pinned_host_key": None,
        "commands": commands,
        "connect_timeout": 5,
        "command_timeout": 5,
        **overrides,
    }
    return run_checks(**options)


@pytest.fixture
def marker(sshd):
    """A file name in the test user's home that a command creates; removed (as root) afterwards."""
    path = sshd.home / f"ran-{uuid.uuid4().hex}"
    yield path
    path.unlink(missing_ok=True)


def test_a_healthy_host_returns_every_output_and_its_host_key_on_first_use(sshd, marker):
    result = run(sshd, {"who": "id -un", "fails": "echo oops >&2; exit 3", "touch": f"touch ~/{marker.name}"})

    assert result.outputs["who"].exit_status == 0
    assert result.outputs["who"].stdout.strip() == sshd.username
    assert result.outputs["fails"].exit_status == 3
    assert result.outputs["fails"].stderr.strip() == "oops"
    assert marker.exists()
    assert result.host_key == sshd.host_key_line
    assert result.host_key_fingerprint == host_key_fingerprint(sshd.host_key_line)
    assert result.duration_ms > 0


def test_a_pinned_matching_host_key_connects(sshd):
    result = run(sshd, {"echo": "echo pinned"}, pinned_host_key=sshd.host_key_line)

    assert result.outputs["echo"].stdout == "pinned\n"
    assert result.host_key == sshd.host_key_line


def test_a_changed_host_key_is_refused_before_any_command_runs(sshd, marker):
    pinned = sshd.host_key_line
    new_key = sshd.rotate_host_key()

    with pytest.raises(SshHostKeyMismatchError) as raised:
        run(sshd, {"touch": f"touch ~/{marker.name}"}, pinned_host_key=pinned)

    assert not marker.exists(), "a command ran although the host key did not match"
    assert raised.value.host_key == new_key
    assert raised.value.fingerprint == host_key_fingerprint(new_key)
    assert raised.value.expected_fingerprint == host_key_fingerprint(pinned)
    assert raised.value.fingerprint in str(raised.value)
    assert not raised.value.retryable
    # the operator accepts the key shown: pinning it connects again
    assert run(sshd, {"ok": "true"}, pinned_host_key=raised.value.host_key).outputs["ok"].exit_status == 0


def test_a_key_the_server_does_not_authorize_is_an_authentication_error(sshd):
    wrong = generate_ed25519()

    with pytest.raises(SshAuthenticationError) as raised:
        run(sshd, {"ok": "true"}, private_key=wrong.private_key)

    assert not raised.value.retryable
    assert "PRIVATE KEY" not in str(raised.value)


def test_a_closed_port_is_unreachable_within_the_connect_timeout(sshd, closed_port):
    started = time.monotonic()
    with pytest.raises(SshUnreachableError) as raised:
        run(sshd, {"ok": "true"}, port=closed_port, connect_timeout=3)

    assert time.monotonic() - started < 3
    assert raised.value.retryable
    assert str(closed_port) in str(raised.value)


def test_a_host_that_never_sends_a_banner_times_out_instead_of_hanging(sshd, tarpit):
    started = time.monotonic()
    with pytest.raises(SshTimeoutError) as raised:
        run(sshd, {"ok": "true"}, host=tarpit.host, port=tarpit.port, connect_timeout=1)

    assert 0.9 <= time.monotonic() - started < 4
    assert raised.value.retryable


def test_a_command_that_outlives_its_timeout_raises_a_timeout_and_is_killed(sshd, marker):
    started = time.monotonic()
    with pytest.raises(SshTimeoutError, match="'slow'"):
        run(sshd, {"slow": f"echo $$ > ~/{marker.name}; exec sleep 30"}, command_timeout=1)

    assert time.monotonic() - started < 3
    # The remote command itself is gone, not only the channel: sshd left it running before.
    pid = int(marker.read_text())
    wait_for(lambda: not _is_sleeping(pid), timeout=5, what=f"the remote sleep (pid {pid}) to be killed")


def _is_sleeping(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")[:2] == [b"sleep", b"30"]
    except OSError:
        return False


def test_long_output_is_cut_at_the_limit(sshd):
    result = run(sshd, {"big": f"head -c {3 * MAX_OUTPUT_BYTES} /dev/zero | tr '\\0' a"})

    assert result.outputs["big"].exit_status == 0
    assert result.outputs["big"].stdout == "a" * MAX_OUTPUT_BYTES
    assert result.outputs["big"].truncated


@pytest.mark.parametrize("host", ["-oProxyCommand=touch /tmp/fleet-x", "web1 -p 2222", "fe80::1%-oX"])
def test_an_address_that_is_no_address_is_refused_before_connecting(host):
    from apps.integrations.ssh import SshInvalidHostError

    with pytest.raises(SshInvalidHostError) as refused:
        run_checks(
            host=host,
            port=22,
            username="root",
            private_key=generate_ed25519().private_key,
            pinned_host_key=None,
            commands={"ok": "true"},
            connect_timeout=1,
            command_timeout=1,
        )

    assert f"refusing SSH address {host!r}" in str(refused.value)
    assert not refused.value.retryable

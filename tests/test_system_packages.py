"""`make test` installs the system packages the suite needs (platform/dev/system-packages.sh).

The script runs for real, in a mount namespace of its own where /usr/sbin and /run are empty
folders (so sshd is missing and nothing it writes reaches the machine) and apt-get is a stub
that records how it was called: nothing is installed or removed on the machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "platform" / "dev" / "system-packages.sh"
NOBODY = 65534
STUB_APT_GET = """#!/bin/sh
# Records each call and, for an install, what policy-rc.d answers then (101: services may not start).
echo "$*" >> {record}
case "$1" in install) /usr/sbin/policy-rc.d; echo "policy-rc.d answers $?" >> {record} ;; esac
"""


@pytest.fixture
def sandbox() -> Iterator[Path]:
    """A world-readable scratch folder: bin/ holds the apt-get stub, sbin/ and run/ stand in for
    /usr/sbin and /run inside the namespace, record is what the stub was called with."""
    if os.geteuid() != 0:
        pytest.fail("these tests run the installer as root in a mount namespace of their own")
    root = Path(tempfile.mkdtemp(prefix="system-packages-"))
    try:
        root.chmod(0o755)
        for name in ("bin", "sbin", "run"):
            (root / name).mkdir(mode=0o755)
        stub = root / "bin" / "apt-get"
        stub.write_text(STUB_APT_GET.format(record=root / "record"))
        stub.chmod(0o755)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_installer(sandbox: Path, *, as_user: int | None = None) -> subprocess.CompletedProcess:
    """The script with /usr/sbin and /run replaced by empty folders and the stub first on PATH."""
    drop = f"setpriv --reuid={as_user} --regid={as_user} --clear-groups " if as_user is not None else ""
    inner = (
        f"mount --bind {sandbox / 'sbin'} /usr/sbin && mount --bind {sandbox / 'run'} /run && exec {drop}sh {SCRIPT}"
    )
    env = {"PATH": f"{sandbox / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def recorded(sandbox: Path) -> list[str]:
    record = sandbox / "record"
    return record.read_text().splitlines() if record.exists() else []


def test_make_test_runs_the_installer_before_the_suite():
    result = subprocess.run(["make", "-n", "test"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)

    lines = result.stdout.splitlines()
    installer = next(i for i, line in enumerate(lines) if "platform/dev/system-packages.sh" in line)
    suite = next(i for i, line in enumerate(lines) if "pytest" in line)
    assert installer < suite


def test_as_root_the_installer_asks_apt_for_openssh_server_with_services_forbidden(sandbox):
    result = run_installer(sandbox)

    assert result.returncode == 0, result.stderr
    calls = recorded(sandbox)
    assert calls[0] == "update -qq"
    install = calls[1].split()
    assert install[:4] == ["install", "-y", "-qq", "--no-install-recommends"]
    assert "openssh-server" in install[4:]
    assert calls[2] == "policy-rc.d answers 101"  # no package starts its daemon
    assert "openssh-server" in result.stdout
    # The policy it wrote for the install is gone again; sshd's runtime folder is there.
    assert not (sandbox / "sbin" / "policy-rc.d").exists()
    assert (sandbox / "run" / "sshd").is_dir()


def test_without_root_the_installer_names_the_command_and_fails(sandbox):
    result = run_installer(sandbox, as_user=NOBODY)

    assert result.returncode != 0
    assert recorded(sandbox) == []  # apt was not tried
    assert "openssh-server" in result.stderr
    assert "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y" in result.stderr
    assert "as root" in result.stderr


def test_with_everything_present_the_installer_does_nothing(sandbox):
    for binary in (sandbox / "sbin" / "sshd", sandbox / "bin" / "redis-server"):
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)

    result = run_installer(sandbox, as_user=NOBODY)

    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == ""
    assert recorded(sandbox) == []

"""A real OpenSSH sshd on a loopback port, for the SSH client's tests (see tests/fakes/fixtures.py).

It runs as root from a throw-away root-owned directory (its own host key, config, authorized_keys
and pid file) and lets in only TEST_USER, an unprivileged account (no sudo, no groups) created if
missing, with one client key generated for the session.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from apps.integrations.ssh import KeyMaterial, generate_ed25519
from tests.fakes.ports import free_port
from tests.fakes.processes import Process, descendants, kill_frozen, leftover_finders, read_process

SSHD = "/usr/sbin/sshd"
TEST_USER = "fleet-ssh-test"
#: Root-owned, not group/world-writable parents: sshd's StrictModes checks every directory above authorized_keys.
STATE_ROOT = Path("/run/fleet-sshd-tests")
HOST = "127.0.0.1"

CONFIG = """\
ListenAddress {host}:{port}
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {authorized_keys}
AllowUsers {user}
PasswordAuthentication {password_auth}
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes yes
PermitRootLogin no
MaxStartups 100:30:200
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
LogLevel VERBOSE
# Ansible copies modules over SFTP (it falls back to slower piping without it).
Subsystem sftp internal-sftp
"""


# (port, start time) of every test sshd this process started: their sessions' commands are found
# by the environment sshd gave them, even once their session (and the sshd) is gone.
_STARTED: list[tuple[int, int]] = []


def _commands_of(port: int, since: int, table: dict[int, Process]) -> list[Process]:
    """The test user's living processes whose SSH_CONNECTION names the sshd on `port` and that
    started after that sshd did (another sshd of another test run, on another port, never matches)."""
    try:
        uid = pwd.getpwnam(TEST_USER).pw_uid
    except KeyError:
        return []
    ours = f" {HOST} {port}"
    return [
        process
        for process in table.values()
        if process.uid == uid
        and process.state != "Z"
        and process.started >= since
        and process.environment().get("SSH_CONNECTION", "").endswith(ours)
    ]


def _commands_of_every_sshd(table: dict[int, Process]) -> list[Process]:
    return [process for port, since in _STARTED for process in _commands_of(port, since, table)]


leftover_finders.append(_commands_of_every_sshd)


def ensure_test_user() -> pwd.struct_passwd:
    """The unprivileged login of the tests; created (system account, home, /bin/sh, no password) if missing."""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        # '*' = no password can match, but not "locked" ('!'), which sshd without PAM refuses.
        subprocess.run(
            ["useradd", "--system", "--create-home", "--shell", "/bin/sh", "--password", "*", TEST_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(TEST_USER)


class TestSshd:
    """host, port, username, private_key (the authorized client key's text), host_key_line ("type base64"),
    home (the test user's home, to check as root what a command left there); rotate_host_key()."""

    __test__ = False

    def __init__(self, *, password: str | None = None, client_key: KeyMaterial | None = None) -> None:
        """With `password`, the test user gets that password for this sshd's life, password logins
        are accepted, no key is authorized up front, and ~/.ssh/authorized_keys is honoured: a
        freshly rebuilt server that let no key in (cleanup() puts the user back as it was).
        With `client_key` (another TestSshd's), that key logs in here too: one login key reaches
        both, as one key reaches every server of a job."""
        if not Path(SSHD).exists():
            raise RuntimeError(
                f"{SSHD} is missing: install openssh-server "
                "(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y openssh-server)"
            )
        if os.geteuid() != 0:
            raise RuntimeError("the test sshd must be started as root (it switches to the test user per login)")
        account = ensure_test_user()
        self.host, self.username, self.home = HOST, TEST_USER, Path(account.pw_dir)
        self.port = free_port()
        self.client_key: KeyMaterial = client_key or generate_ed25519(f"{TEST_USER}@tests")
        self.private_key = self.client_key.private_key
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        STATE_ROOT.mkdir(mode=0o755, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="sshd-", dir=STATE_ROOT))
        self.dir.chmod(0o755)
        authorized = self.dir / "authorized_keys"
        authorized.write_text("" if password else self.client_key.public_key + "\n")
        authorized.chmod(0o644)
        self.password = password
        files = f"{authorized} .ssh/authorized_keys" if password else str(authorized)
        (self.dir / "sshd_config").write_text(
            CONFIG.format(
                host=HOST,
                port=self.port,
                dir=self.dir,
                user=TEST_USER,
                authorized_keys=files,
                password_auth="yes" if password else "no",
            )
        )
        if password:
            subprocess.run(["chpasswd"], input=f"{TEST_USER}:{password}", text=True, check=True, capture_output=True)
        self.process: subprocess.Popen | None = None
        self.host_key_line = ""

    @property
    def log(self) -> str:
        path = self.dir / "sshd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> TestSshd:
        started = self._start()
        listener = read_process(self.process.pid)
        if listener is not None:
            _STARTED.append((self.port, listener.started))
        return started

    def _start(self) -> TestSshd:
        self._new_host_key()
        config = str(self.dir / "sshd_config")
        check = subprocess.run([SSHD, "-t", "-f", config], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"sshd -t rejected the test config: {check.stderr.strip()}")
        with (self.dir / "sshd.log").open("ab") as log:
            self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", config], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test sshd exited ({self.process.returncode}):\n{self.log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the test sshd did not answer on {HOST}:{self.port} within 10s:\n{self.log}")

    def stop(self) -> None:
        """Stop the sshd and end every session it started: its per-connection sshd processes and
        the test user's commands, also those already orphaned (a client that went away leaves its
        command running: a canceled playbook's `sleep`, say)."""
        if self.process and self.process.poll() is None:
            listener = read_process(self.process.pid)
            self.process.send_signal(signal.SIGSTOP)  # accepts no new connection meanwhile
            if listener is not None:
                kill_frozen(lambda table: self._sessions(listener, table))
            self.process.terminate()
            self.process.send_signal(signal.SIGCONT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def _sessions(self, listener: Process, table: dict[int, Process]) -> list[Process]:
        """The processes of this sshd's sessions: below it, or started by one of its sessions."""
        below = descendants(listener.pid, table)
        return below + [process for process in _commands_of(self.port, listener.started, table) if process not in below]

    def rotate_host_key(self) -> str:
        """Restart on the same port with a NEW host key; returns its "type base64" line."""
        self.stop()
        return self.start().host_key_line

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.password:
            # Back to no password ('*', not locked) and no keys of the user's own.
            subprocess.run(["usermod", "--password", "*", TEST_USER], check=True, capture_output=True)
            shutil.rmtree(self.home / ".ssh", ignore_errors=True)

    def _new_host_key(self) -> None:
        key = self.dir / "ssh_host_ed25519_key"
        for path in (key, key.with_suffix(".pub")):
            path.unlink(missing_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-sshd", "-f", str(key)],
            check=True,
            capture_output=True,
        )
        self.host_key_line = " ".join(key.with_suffix(".pub").read_text().split()[:2])


class Tarpit:
    """A loopback TCP listener that accepts connections and never sends a byte (an SSH banner time-out)."""

    def __init__(self) -> None:
        self.host = HOST
        self._server = socket.create_server((HOST, 0))
        self.port = self._server.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tarpit", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._server.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._server.close()
        for connection in self._held:
            connection.close()

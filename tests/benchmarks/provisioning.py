"""Ansible phase bench: the platform's Ansible phase (`phase_execute` of a playbook-only run: the run's
rows, ansible-runner, ssh-agent, events stored as they arrive, the heartbeat) beside `ansible-playbook`
run directly with the same playbook, config and host (the floor), both against the test sshd."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.test.utils import override_settings

from tests.benchmarks.health import _report

PLAYBOOKS = Path(__file__).resolve().parents[1] / "provisioning" / "playbooks"
PLAYBOOK = "bench.yml"
#: bench.yml reads its directory from here when no extra var names it (the phase passes only its own).
BENCH_DIR_ENV = "PROVISIONING_BENCH_DIR"
#: What the playbook leaves behind when it ran to the end.
LAST_FILE = Path("files") / "sub" / "gamma.txt"


def _progress(message: str) -> None:
    print(f"[ansible bench] {message}", file=sys.stderr, flush=True)


def _with_bench_dir(home: Path, run: Callable[[], None]) -> float:
    """Wall time of `run` with a fresh bench_dir under the test user's home (removed afterwards)."""
    bench_dir = home / f"bench-{secrets.token_hex(6)}"
    os.environ[BENCH_DIR_ENV] = str(bench_dir)
    try:
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
        if not (bench_dir / LAST_FILE).is_file():
            raise RuntimeError(f"the playbook did not write {bench_dir / LAST_FILE}")
        return elapsed
    finally:
        os.environ.pop(BENCH_DIR_ENV, None)
        shutil.rmtree(bench_dir, ignore_errors=True)


def _stop_ssh_masters(*control_roots: Path) -> None:
    """End, by process id, the ControlPersist ssh masters the runs left idling (for 60 s) once their
    control directory is gone: those under this bench's directories whose socket no longer exists
    (a master of a run still going, say another bench's, keeps its socket). A master renames
    itself "ssh: <control path> [mux]"."""
    prefixes = tuple(f"ssh: {path}/" for root in control_roots for path in {root, root.resolve()})
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:
            continue
        if title.startswith(prefixes) and title.endswith(" [mux]") and not Path(title[5:-6]).exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGTERM)


def bench_ansible_phase(repeats: int = 3) -> None:
    from apps.provisioning.choices import Phase, RunKind, RunStatus
    from apps.provisioning.phases import ansible as ansible_phase
    from apps.provisioning.services import phase_execute
    from apps.provisioning.services import requests as run_requests
    from apps.servers.choices import Connection, Lifecycle
    from apps.servers.models import Server
    from apps.servers.services import ssh_key_create
    from tests.fakes.sshd import TestSshd
    from tests.servers.factories import provider_account

    report = _report()
    sshd = TestSshd()
    scratch = Path(tempfile.mkdtemp(prefix="ansible-bench-"))
    work_root = Path(settings.VAR_DIR) / "provisioning"
    try:
        sshd.start()
        account = provider_account(name="bench-ansible")
        server = Server.objects.create(
            provider_account=account,
            provider_id="bench-ansible-1",
            hostname="bench-ansible",
            connection=Connection.SSH,
            ssh_host=sshd.host,
            ssh_port=sshd.port,
            ssh_user=sshd.username,
            lifecycle=Lifecycle.READY,
            host_key=sshd.host_key_line,
        )
        ssh_key_create(name="bench-ansible", private_key=sshd.private_key, is_default=True)

        # The direct side: the same host, config and pinned key, the key in a 0600 file as usual.
        key_file = scratch / "id_ed25519"
        key_file.touch(mode=0o600)
        key_file.write_text(sshd.private_key)
        known_hosts = scratch / "known_hosts"
        known_hosts.write_text(f"[{sshd.host}]:{sshd.port} {sshd.host_key_line}\n")
        inventory = scratch / "inventory.json"
        host_vars = {"ansible_port": sshd.port, "ansible_user": sshd.username}
        inventory.write_text(json.dumps({"all": {"hosts": {sshd.host: host_vars}}}))
        command = [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inventory),
            "--private-key",
            str(key_file),
            str(PLAYBOOKS / PLAYBOOK),
        ]

        def direct() -> None:
            private = Path(tempfile.mkdtemp(prefix="direct-", dir=scratch))  # fresh per run, as the platform's
            env = {
                **os.environ,
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)]),
                "ANSIBLE_CONFIG": str(settings.ANSIBLE_CONFIG_FILE),
                "ANSIBLE_HOME": str(private / "home"),
                "ANSIBLE_LOCAL_TEMP": str(private / "tmp"),
                "ANSIBLE_SSH_CONTROL_PATH_DIR": str(private / "cp"),
                "ANSIBLE_RETRY_FILES_ENABLED": "False",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_HOST_KEY_CHECKING": "True",
                "ANSIBLE_SSH_COMMON_ARGS": (
                    f"-o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null "
                    "-o StrictHostKeyChecking=yes"
                ),
            }
            done = subprocess.run(command, env=env, cwd=scratch, capture_output=True)
            if done.returncode:
                output = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
                raise RuntimeError(f"ansible-playbook exited with {done.returncode}:\n{output}")

        def platform() -> None:
            # run_create without its broker send: the phase is run here, as its worker task would.
            with mock.patch.object(run_requests, "run_dispatch", return_value=None):
                run = run_requests.run_create(
                    server=server, kind=RunKind.PLAYBOOK, os_template="", playbook=PLAYBOOK, user=None
                )
            outcome = phase_execute(run_id=run.pk, phase=Phase.ANSIBLE, token=run.token, step=ansible_phase.step)
            run.refresh_from_db()
            if outcome != "succeeded" or run.status != RunStatus.SUCCEEDED:
                raise RuntimeError(f"the Ansible phase did not succeed: {outcome}, run {run.status}: {run.error}")

        overrides = {
            "ANSIBLE_PLAYBOOK_DIR": PLAYBOOKS,
            "PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST": [PLAYBOOK],  # the sshd is on loopback: this machine
        }
        platform_times, direct_times = [], []
        with override_settings(**overrides):
            _progress("warming up")
            _with_bench_dir(sshd.home, platform)
            _with_bench_dir(sshd.home, direct)
            for number in range(1, repeats + 1):
                platform_times.append(_with_bench_dir(sshd.home, platform))
                direct_times.append(_with_bench_dir(sshd.home, direct))
                _progress(f"run {number}/{repeats}: phase {platform_times[-1]:.2f}s, direct {direct_times[-1]:.2f}s")
        direct_median = statistics.median(direct_times)
        report("provisioning_ansible_phase_seconds", statistics.median(platform_times), "s", floor=direct_median)
        report("provisioning_ansible_direct_seconds", direct_median, "s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        _stop_ssh_masters(scratch, work_root)
        sshd.cleanup()

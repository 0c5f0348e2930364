"""`make run`: registering the sandboxes and queueing their first runs, and the whole of it for real
(servers listed soon after web is ready, with no failed sync; a clean and quiet Ctrl-C)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from apps.core.models import SyncRun
from apps.projects.models import GitHubAccount
from apps.servers.models import ProviderAccount
from tests.conftest import REPO_ROOT, wait_for
from tests.fakes.ports import free_port
from tests.fakes.processes import descendants, kill_frozen, read_process

# Every process stops within its own shutdown (the worker's, over the filesystem broker: 5 to 7 s),
# well before platform/dev/run.py's grace (30 s) would kill what is left.
STOP_SECONDS = 20


@pytest.mark.django_db
def test_register_sandbox_account_registers_both_sandboxes_once_and_queues_their_runs(
    capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("register_sandbox_account")
        call_command("register_sandbox_account")

    assert ProviderAccount.objects.filter(kind="sandbox").count() == 1
    assert GitHubAccount.objects.count() == 1
    kinds = sorted(SyncRun.objects.values_list("kind", flat=True))
    assert kinds == sorted(["server_sync", "github_sync"] * 2)
    assert all(run.celery_task_id for run in SyncRun.objects.all())
    output = capsys.readouterr().out
    assert "sandbox GitHub organization" in output


@pytest.mark.django_db
def test_register_sandbox_account_does_nothing_where_there_is_no_sandbox(settings, capsys):
    settings.SANDBOX_ENABLED = False

    call_command("register_sandbox_account")

    assert not ProviderAccount.objects.exists()
    assert not GitHubAccount.objects.exists()
    assert "nothing to do" in capsys.readouterr().out


# --- `make run` itself -------------------------------------------------------------------------
# A fresh clone's `make run`, for real: its recipe (not its .venv prerequisite: the environment is
# installed already), on the embedded default (SQLite, filesystem broker) in a VAR_DIR of its own.
ADMIN_PASSWORD = "make-run-test-password-0"
# Variables of the test run that a fresh clone's shell has not got.
NOT_IN_A_FRESH_SHELL = (
    "DJANGO_SETTINGS_MODULE",
    "ENVIRONMENT",
    "VAR_DIR",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_BROKER_DIR",
    "CACHE_URL",
)


class MakeRun:
    def __init__(self, var_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = var_dir / "make-run.log"
        env = {name: value for name, value in os.environ.items() if name not in NOT_IN_A_FRESH_SHELL}
        env.update(VAR_DIR=str(var_dir), WEB_PORT=str(self.port), BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD)
        with self.log_path.open("wb") as log:
            # A session of its own, as a terminal's foreground job: Ctrl-C is SIGINT to its group.
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "run", "-o", ".venv/.base-installed"],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def status(self, path: str) -> int:
        try:
            return requests.get(self.base + path, timeout=5).status_code
        except requests.RequestException:
            return 0

    def admin_session(self) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.base}/admin/login/", timeout=10)
        response = session.post(
            f"{self.base}/admin/login/?next=/admin/",
            data={
                "username": "admin",
                "password": ADMIN_PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
                "next": "/admin/",
            },
            headers={"Referer": f"{self.base}/admin/login/"},
            timeout=10,
        )
        assert response.url.endswith("/admin/"), response.text[:2000]
        return session

    def interrupt(self) -> None:
        """Ctrl-C in the terminal make runs in."""
        os.killpg(self.process.pid, signal.SIGINT)

    def end(self) -> None:
        """Whatever is left, also below honcho's processes (each in a session of its own)."""
        if self.process.poll() is None:
            kill_frozen(lambda table: [read_process(self.process.pid), *descendants(self.process.pid, table)])
            self.process.wait(timeout=10)


@pytest.fixture
def make_run(tmp_path) -> Iterator[MakeRun]:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    run = MakeRun(var_dir)
    try:
        yield run
    finally:
        run.end()


def wait_ready(run: MakeRun) -> float:
    wait_for(
        lambda: run.process.poll() is not None or run.status("/health/ready") == 200,
        timeout=240,
        what=lambda: f"/health/ready to answer 200:\n{run.output()[-4000:]}",
    )
    assert run.process.poll() is None, run.output()[-4000:]
    return time.monotonic()


@pytest.mark.worker
def test_make_run_lists_the_sandbox_servers_within_a_minute_of_being_ready_with_no_failed_sync(make_run):
    ready_at = wait_ready(make_run)
    admin = make_run.admin_session()

    def servers_listed() -> bool:
        page = admin.get(f"{make_run.base}/admin/servers/server/", timeout=10).text
        return re.search(r"\b5\s+servers\b", page) is not None

    wait_for(
        servers_listed, timeout=60, interval=1, what=lambda: f"the 5 sandbox servers:\n{make_run.output()[-4000:]}"
    )
    assert time.monotonic() - ready_at < 60

    dashboard = admin.get(f"{make_run.base}/admin/", timeout=10).text
    assert "Failed in the last 24 hours" in dashboard
    assert "Sync runs: 0" in dashboard, dashboard
    assert "could not connect" not in make_run.output()


@pytest.mark.worker
def test_ctrl_c_stops_make_run_cleanly_and_quietly(make_run):
    wait_ready(make_run)
    wait_for(lambda: "sandbox GitHub organization" in make_run.output(), timeout=60, what="the first syncs")

    started = time.monotonic()
    make_run.interrupt()
    make_run.process.wait(timeout=60)

    output = make_run.output()
    assert time.monotonic() - started < STOP_SECONDS, output[-4000:]
    for process in ("web.1", "worker.1", "beat.1"):
        assert f"{process} stopped" in output, output[-4000:]
    assert "SIGKILL" not in output
    assert "still running" not in output
    assert "exited with 'signal" not in output  # no pool process killed under a task
    assert "No hostname was supplied" not in output

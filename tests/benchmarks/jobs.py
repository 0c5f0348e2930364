"""Jobs bench: one job of tests/jobs/playbooks/bench.yml across 50 hosts, 10 forks, through the
platform (a template made and launched over the API of the bench's gunicorn, a real Celery worker
on a redis-server of the bench's own, ansible-runner, events stored as they arrive) beside
`ansible-playbook` run directly with the same inventory, forks, config, key and known_hosts (the
floor); how many events a second the platform's ingest path stores (that job's events replayed
through the job runner's recorder), beside a bare bulk insert of the same rows; and how soon a
launch request's job has its first event stored.

The 50 hosts are 127.0.0.2 to 127.0.0.51 (each its own SSH connection, as 50 machines would be),
served by test sshds as the unprivileged test user (tests/fakes/sshd.py).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from django.conf import settings

from tests.benchmarks.broker import redis_server
from tests.benchmarks.provisioning import _stop_ssh_masters

PLAYBOOKS = Path(__file__).resolve().parents[1] / "jobs" / "playbooks"
PLAYBOOK = "bench.yml"
HOSTS = 50
FORKS = 10
RUNS = 3
LAUNCHES = 20
#: sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): 127.0.0.1 (where TestSshd waits for its
#: banner) and 15 of the hosts' addresses each.
ADDRESSES_PER_SSHD = 15
WORKER_COMMAND = [str(Path(sys.executable).parent / "celery"), "-A", "tasks", "worker", "--queues"]
WORKER_COMMAND += ["provisioning,default", "--concurrency", "2", "--loglevel", "INFO", "--without-mingle"]
WORKER_COMMAND += ["--without-gossip"]
#: Seconds between two looks at a job's rows: for a launch's latency, and for the 50 hosts' job
#: (light beside its 30 s, and little CPU taken from its forks).
LATENCY_POLL_SECONDS = 0.01
JOB_POLL_SECONDS = 0.1


def _progress(message: str) -> None:
    print(f"[jobs bench] {message}", file=sys.stderr, flush=True)


def _run_module():
    """run.py as it runs (`python -m` makes it `__main__`), for database_url()."""
    main = sys.modules.get("__main__")
    return main if hasattr(main, "database_url") else importlib.import_module("tests.benchmarks.run")


def _sshds(stack: ExitStack) -> list[tuple[str, object]]:
    """(address, sshd) of each host: test sshds on 127.0.0.1 plus 15 host addresses each, one key."""
    from tests.fakes.sshd import HOST, TestSshd

    addresses = [f"127.0.0.{n}" for n in range(2, HOSTS + 2)]
    hosts = []
    first = None
    for start in range(0, HOSTS, ADDRESSES_PER_SSHD):
        sshd = TestSshd(client_key=first.client_key if first else None)
        stack.callback(sshd.cleanup)
        first = first or sshd
        group = addresses[start : start + ADDRESSES_PER_SSHD]
        config = sshd.dir / "sshd_config"
        listen = "".join(f"ListenAddress {address}:{sshd.port}\n" for address in [HOST, *group])
        config.write_text(config.read_text().replace(f"ListenAddress {HOST}:{sshd.port}\n", listen))
        sshd.start()
        hosts += [(address, sshd) for address in group]
    return hosts


def _servers(hosts: list[tuple[str, object]]) -> list:
    """A ready server per host, its SSH address and pinned host key set; the sshds' key the default."""
    from django.utils import timezone

    from apps.servers.choices import Connection, Lifecycle
    from apps.servers.models import Server
    from apps.servers.services import ssh_key_create
    from apps.servers.services.write import servers_write
    from tests.servers.factories import details, provider_account

    account = provider_account(name="bench-jobs")
    listing = [details(n, ip=address) for n, (address, _) in enumerate(hosts, start=1)]
    servers_write(account=account, listing=listing, now=timezone.now())
    ssh_key_create(name="bench-jobs", private_key=hosts[0][1].private_key, is_default=True)
    rows = list(Server.objects.filter(provider_account=account).order_by("pk"))
    by_address = dict(hosts)
    for server in rows:
        sshd = by_address[server.ip]
        server.connection, server.lifecycle = Connection.SSH, Lifecycle.READY
        server.ssh_host, server.ssh_port, server.ssh_user = server.ip, sshd.port, sshd.username
        server.host_key = sshd.host_key_line
    Server.objects.bulk_update(rows, ["connection", "lifecycle", "ssh_host", "ssh_port", "ssh_user", "host_key"])
    return rows


@contextmanager
def _worker(env: dict[str, str], log_path: Path):
    """A real worker of the jobs' queue (as tests/jobs/helpers.py starts one), until it is ready
    (it says so at INFO)."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(WORKER_COMMAND, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bench worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield lambda: log_path.read_text(errors="replace")[-3000:]
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class Followed:
    """One launch as the bench saw it: seconds after the launch request was sent."""

    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = ""
    finished: float = 0.0
    #: (seconds, rows stored) at each look that found more rows than the one before.
    stored: list[tuple[float, int]] = field(default_factory=list)

    def ingest_rate(self) -> float:
        """Events stored per second: rows stored after the first look that found any, over the
        time from that look to the last look that found more (stored times as polled, every 0.1 s;
        JobEvent.created_at is Ansible's clock, when an event was emitted, not stored)."""
        (first_at, first_rows), (last_at, last_rows) = self.stored[0], self.stored[-1]
        return (last_rows - first_rows) / (last_at - first_at) if last_at > first_at else float("nan")


def _launch_and_follow(api: Callable, template_id: int, what: Callable[[], str], poll: float) -> tuple[int, Followed]:
    from apps.jobs.choices import FINISHED_JOB_STATUSES
    from apps.jobs.models import Job, JobEvent

    followed = Followed()
    started = time.perf_counter()
    job_id = api(f"/api/job-templates/{template_id}/launch/", {})["job_id"]
    deadline = time.monotonic() + 300
    while not followed.status:
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).get()
        rows = JobEvent.objects.filter(job_id=job_id).count()  # after the status: a finished job's are all in
        now = time.perf_counter() - started
        if rows > (followed.stored[-1][1] if followed.stored else 0):
            followed.stored.append((now, rows))
        if status in FINISHED_JOB_STATUSES:
            followed.status, followed.finished = status, now
        elif time.monotonic() > deadline:
            raise RuntimeError(f"job {job_id} did not finish ({status}); worker said:\n{what()}")
        time.sleep(poll)
    if followed.status != "succeeded":
        error = Job.objects.get(pk=job_id).error
        raise RuntimeError(f"job {job_id} {followed.status}: {error}; worker said:\n{what()}")
    return job_id, followed


def _breakdown(job_id: int, followed: Followed) -> str:
    """Where a job's time went, seconds after the launch request: its row made, taken by the
    worker, its first event emitted and seen stored, its last emitted, the job ended."""
    from django.db.models import Max, Min

    from apps.jobs.models import Job

    job = Job.objects.annotate(first=Min("events__created_at"), last=Max("events__created_at")).get(pk=job_id)
    times = [job.created_at, job.started_at, job.first, None, job.last, job.finished_at]
    at = [followed.stored[0][0] if t is None else (t - followed.sent_at).total_seconds() for t in times]
    names = ["created", "taken", "first event", "stored", "last event", "ended"]
    return f"{followed.stored[-1][1]} events; " + ", ".join(f"{n} {a:.2f}" for n, a in zip(names, at, strict=True))


def _direct(scratch: Path, servers: list, private_key: str) -> Callable[[], float]:
    """ansible-playbook run directly, timed: the inventory, forks, config and pinned keys the job
    has, the key in a 0600 file as usual, a fresh ansible home and control directory per run."""
    key_file = scratch / "id_ed25519"
    key_file.touch(mode=0o600)
    key_file.write_text(private_key)
    known_hosts = scratch / "known_hosts"
    known_hosts.write_text("".join(f"[{s.ssh_host}]:{s.ssh_port} {s.host_key}\n" for s in servers))
    inventory = scratch / "inventory.json"
    logins = [(s.hostname, s.ssh_host, s.ssh_port, s.ssh_user) for s in servers]
    host_vars = {name: {"ansible_host": h, "ansible_port": p, "ansible_user": u} for name, h, p, u in logins}
    inventory.write_text(json.dumps({"all": {"hosts": host_vars}}))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), "-f", str(FORKS)]
    command += ["--private-key", str(key_file), str(PLAYBOOKS / PLAYBOOK)]

    def run() -> float:
        private = Path(tempfile.mkdtemp(prefix="direct-", dir=scratch))
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
                f"-o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"
            ),
        }
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=scratch, capture_output=True)
        seconds = time.perf_counter() - started
        shutil.rmtree(private, ignore_errors=True)
        if done.returncode:
            output = (done.stdout + done.stderr).decode(errors="replace")[-3000:]
            raise RuntimeError(f"ansible-playbook exited with {done.returncode}:\n{output}")
        return seconds

    return run


def _end_agents(jobs_root: Path) -> None:
    """End, by process id, the ssh-agents of the bench's jobs: ansible-runner's agent outlives its
    job by up to 10 s (it checks that often whether the command it ran is gone)."""
    marker = f"{jobs_root}/job-".encode()
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if entry.name.isdigit() and Path(argv[0].decode()).name == "ssh-agent" and marker in b" ".join(argv):
                os.kill(int(entry.name), signal.SIGTERM)


REPLAYED_EVENTS = 20_000


def _replayed(job_id: int) -> list[dict]:
    """REPLAYED_EVENTS events as ansible-runner hands them over: the job's own, over and over."""
    from apps.jobs.models import JobEvent

    fields = ["event", "host", "task", "stdout", "changed", "created_at"]
    rows = list(JobEvent.objects.filter(job_id=job_id).order_by("seq").values(*fields))
    return [
        {
            "event": row["event"],
            "counter": number + 1,
            "stdout": row["stdout"],
            "created": row["created_at"].isoformat(),
            "event_data": {"host": row["host"], "task": row["task"], "res": {"changed": row["changed"]}},
        }
        for number, row in zip(range(REPLAYED_EVENTS), (rows * (REPLAYED_EVENTS // len(rows) + 1)), strict=False)
    ]


def _ingest_rates(job_id: int) -> tuple[float, float]:
    """Events per second the platform's ingest path stores (EventRecorder, as the job runner uses
    it: batches of 50, each written inside the job's ownership check), replaying REPLAYED_EVENTS of
    the job's events as fast as they come; and, as the floor, a bare bulk_create of the same rows
    in the same batches, outside any transaction."""
    from apps.jobs.choices import JobStatus
    from apps.jobs.models import Job, JobEvent
    from apps.jobs.services import transitions
    from apps.provisioning.services.events import EventRecorder

    events = _replayed(job_id)
    job = Job.objects.create(name="bench-ingest", playbook=PLAYBOOK, status=JobStatus.RUNNING, token=1)
    recorder = EventRecorder(model=JobEvent, owner={"job_id": job.pk}, guard=lambda: transitions.owned(job.pk, 1))
    started = time.perf_counter()
    with recorder.writing():
        for event in events:
            recorder.add(event)
    platform = len(events) / (time.perf_counter() - started)
    stored = JobEvent.objects.filter(job=job).count()
    if stored != len(events):
        raise RuntimeError(f"the recorder stored {stored} of {len(events)} events")
    bare = Job.objects.create(name="bench-bulk-insert", playbook=PLAYBOOK)
    rows = [
        JobEvent(
            job=bare,
            seq=event["counter"],
            event=event["event"],
            host=event["event_data"]["host"],
            task=event["event_data"]["task"],
            stdout=event["stdout"],
            changed=event["event_data"]["res"]["changed"],
            created_at=job.created_at,
        )
        for event in events
    ]
    started = time.perf_counter()
    for start in range(0, len(rows), 50):
        JobEvent.objects.bulk_create(rows[start : start + 50])
    return platform, len(rows) / (time.perf_counter() - started)


def bench_jobs(report: Callable, sandbox_web_server: Callable) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from apps.access.services import token_create
    from apps.jobs.models import JobEvent

    scratch = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    jobs_root = Path(settings.VAR_DIR) / "jobs"
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        stack.callback(lambda: _stop_ssh_masters(scratch, jobs_root))  # runs after the sshds' cleanup
        stack.callback(_end_agents, jobs_root)  # once the worker is stopped
        hosts = _sshds(stack)
        servers = _servers(hosts)
        user = get_user_model().objects.create_user(username="bench-jobs", is_staff=True)
        user.groups.add(Group.objects.get(name="operator"))
        _, token = token_create(user=user, name="bench")
        broker = stack.enter_context(redis_server())
        env = {
            "DATABASE_URL": _run_module().database_url(),
            "CELERY_BROKER_URL": broker,
            "CACHE_URL": broker.removesuffix("/0") + "/1",
            "ANSIBLE_PLAYBOOK_DIR": str(PLAYBOOKS),
            "PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST": PLAYBOOK,  # the hosts are loopback: this machine
        }
        base_url = stack.enter_context(sandbox_web_server(**env)).removesuffix("/sandbox/api")
        worker_said = stack.enter_context(_worker({**os.environ, **env, "LOG_LEVEL": "INFO"}, scratch / "worker.log"))
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"

        def api(path: str, body: dict) -> dict:
            response = session.post(base_url + path, json=body, timeout=30)
            if response.status_code >= 300:
                raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:2000]}")
            return response.json()

        def template(name: str, ids: list[int]) -> int:
            body = {"name": name, "playbook": PLAYBOOK, "target": {"servers": ids}, "forks": FORKS}
            return api("/api/job-templates/", body)["id"]

        wide = template("bench-50-hosts", [server.pk for server in servers])
        direct = _direct(scratch, servers, hosts[0][1].private_key)
        platform_times, direct_times, rates = [], [], []
        for number in range(RUNS + 1):  # alternating, the first of each a warm-up
            job_id, followed = _launch_and_follow(api, wide, worker_said, JOB_POLL_SECONDS)
            seconds = direct()
            _stop_ssh_masters(scratch, jobs_root)  # each run's idle ssh masters, not left for 60 s
            label = f"run {number}/{RUNS}" if number else "warm-up"
            _progress(f"{label}: job {followed.finished:.2f}s, direct {seconds:.2f}s")
            _progress(f"  job {job_id}: {_breakdown(job_id, followed)}")
            if number:
                platform_times.append(followed.finished)
                rates.append(followed.ingest_rate())
                direct_times.append(seconds)
        report(
            f"job_ansible_{HOSTS}_hosts", statistics.median(platform_times), "s", floor=statistics.median(direct_times)
        )
        _progress(
            f"events stored per second while the 50 hosts' job ran: {statistics.median(rates):.0f} (Ansible's pace)"
        )
        platform_rate, bare_rate = _ingest_rates(job_id)
        report("job_events_ingest", platform_rate, "events/s", floor=bare_rate)

        single = template("bench-1-host", [servers[0].pk])
        latencies = []
        for number in range(LAUNCHES + 1):  # the first is a warm-up
            job_id, followed = _launch_and_follow(api, single, worker_said, LATENCY_POLL_SECONDS)
            if number:
                latencies.append(followed.stored[0][0])
        _stop_ssh_masters(scratch, jobs_root)
        first = JobEvent.objects.filter(job_id=job_id).order_by("seq").first()
        _progress(f"a launch's first event: {first.event} {first.stdout[:60]!r}; {_breakdown(job_id, followed)}")
        report("job_launch_latency", statistics.median(latencies) * 1000, "ms")

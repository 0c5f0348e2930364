"""`make bench`: figures for the configured database, printed and written to var/bench.json.

Each figure prints as `bench <name> <value> <unit>`, followed by `floor=<value> ratio=<value>`
where a floor was measured in the same run. Everything runs in a database of its own (created
and dropped here, like a test database), so neither the developer's data nor a shared database
is touched.

    python -m tests.benchmarks.run            # SQLite (development default)
    DATABASE_URL=postgres://... python -m tests.benchmarks.run
    python -m tests.benchmarks.run --only ansible_phase   # some benchmarks; their figures replace
                                                          # theirs in var/bench.json, the rest are kept
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("ENVIRONMENT", "test")
REPO_ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("VAR_DIR", str(REPO_ROOT / "var" / "bench"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tests.fakes.ports import free_port  # noqa: E402

RESULTS: list[dict] = []


def report(name: str, value: float, unit: str, floor: float | None = None) -> None:
    line = f"bench {name} {value:.4g} {unit}"
    entry = {"name": name, "value": value, "unit": unit, "database": connection.vendor}
    if floor is not None:
        ratio = value / floor if floor else float("inf")
        line += f" floor={floor:.4g} ratio={ratio:.2f}"
        entry.update(floor=floor, ratio=ratio)
    print(line, flush=True)
    RESULTS.append(entry)


def timed(action: Callable[[], object]) -> tuple[float, int]:
    """Wall time and queries of one call."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
    return elapsed, len(queries)


@contextmanager
def own_database():
    """A fresh database for the benchmark (as Django's test runner makes one), dropped afterwards."""
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(settings.VAR_DIR) / "bench.sqlite3")
    else:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench"
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def bench_write_phase(count: int = 10_000) -> None:
    from apps.servers.models import Server
    from apps.servers.services.write import BATCH_SIZE, PROVIDER_FIELDS, provider_values, servers_write
    from tests.servers.factories import details, provider_account

    listing = [
        details(server_id, ip=f"10.{server_id // 65536}.{server_id // 256 % 256}.{server_id % 256}")
        for server_id in range(1, count + 1)
    ]
    now = timezone.now()

    floor_account = provider_account(name="bench-floor")

    def plain_upsert() -> None:
        rows = [
            Server(
                provider_account=floor_account,
                provider_id=item.provider_id,
                last_seen_at=now,
                **provider_values(item),
            )
            for item in listing
        ]
        for start in range(0, len(rows), BATCH_SIZE):
            Server.objects.bulk_create(
                rows[start : start + BATCH_SIZE],
                update_conflicts=True,
                unique_fields=["provider_account", "provider_id"],
                update_fields=[*PROVIDER_FIELDS, "last_seen_at", "updated_at"],
            )

    floor_seconds, floor_queries = timed(plain_upsert)
    account = provider_account(name="bench-sync")
    seconds, queries = timed(lambda: servers_write(account=account, listing=listing, now=now))
    report(f"server_sync_write_{count // 1000}k_new", seconds, "s", floor=floor_seconds)
    report(f"server_sync_write_{count // 1000}k_new_queries", queries, "queries", floor=floor_queries)

    changed = [
        details(int(item.provider_id), ip=item.ip, os="debian-12-x86_64") if int(item.provider_id) % 10 == 0 else item
        for item in listing
    ]
    floor_seconds, _ = timed(plain_upsert)  # the same rows again: every row rewritten
    seconds, queries = timed(lambda: servers_write(account=account, listing=changed, now=now))
    report(f"server_sync_write_{count // 1000}k_10pct_changed", seconds, "s", floor=floor_seconds)
    report(f"server_sync_write_{count // 1000}k_10pct_changed_queries", queries, "queries")


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def sandbox_web_server(**extra_env: str):
    """gunicorn serving the platform (and its sandbox) on a free loopback port, on the bench database
    (`extra_env` adds to its environment: the jobs bench's broker and playbook directory)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "ENVIRONMENT": "development", "DEBUG": "false", **extra_env}
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the bench web server did not start") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/sandbox/api"
    finally:
        process.terminate()
        process.wait(timeout=30)


def bench_sandbox_sync(count: int = 1000) -> None:
    from apps.core.choices import SyncStatus
    from apps.sandbox.services import sandbox_servers_ensure
    from apps.servers.choices import ProviderKind
    from apps.servers.services import server_sync_now
    from tests.servers.factories import provider_account

    sandbox_servers_ensure(count=count)
    with sandbox_web_server() as base_url:
        account = provider_account(
            name="bench-sandbox",
            kind=ProviderKind.SANDBOX,
            base_url=base_url,
            username=settings.SANDBOX_USERNAME,
            password=settings.SANDBOX_PASSWORD,
        )
        started = time.perf_counter()
        run = server_sync_now(account=account)
        seconds = time.perf_counter() - started
    if run.status != SyncStatus.SUCCEEDED or run.created != count:
        raise RuntimeError(f"the sandbox sync did not succeed: {run.status} {run.error}")
    report(f"server_sync_sandbox_http_{count}", seconds, "s")


def bench_github_sync(count: int = 2000) -> None:
    from apps.core.choices import SyncStatus
    from apps.projects.services import github_sync_now
    from apps.sandbox.github.services import sandbox_github_repos_ensure
    from tests.projects.factories import github_account

    organization = "bench-org"
    sandbox_github_repos_ensure(count=count, organization=organization)
    with sandbox_web_server() as sandbox_url:
        base_url = sandbox_url.replace("/sandbox/api", "/sandbox/github/api/v3")
        account = github_account(organization=organization, base_url=base_url, token=settings.SANDBOX_GITHUB_TOKEN)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            run = github_sync_now(account=account)
            seconds = time.perf_counter() - started
    if run.status != SyncStatus.SUCCEEDED or run.created != count:
        raise RuntimeError(f"the sandbox GitHub sync did not succeed: {run.status} {run.error}")
    report(f"github_sync_sandbox_http_{count}", seconds, "s")
    report(f"github_sync_sandbox_http_{count}_queries", len(queries), "queries")


def bench_search() -> None:
    from tests.benchmarks.docs_search import bench_docs_relevance, bench_docs_speed

    bench_docs_relevance(report, sandbox_web_server)
    bench_docs_speed(report)


def main(argv: list[str] | None = None) -> int:
    from tests.benchmarks.broker import bench_broker
    from tests.benchmarks.health import bench_health_checks
    from tests.benchmarks.jobs import bench_jobs
    from tests.benchmarks.provider_sync import bench_hetzner_sync
    from tests.benchmarks.provisioning import bench_ansible_phase

    benchmarks = {
        "write_phase": bench_write_phase,
        "sandbox_sync": bench_sandbox_sync,
        "hetzner_sync": lambda: bench_hetzner_sync(report),
        "github_sync": bench_github_sync,
        "search": bench_search,
        "health_checks": bench_health_checks,
        "ansible_phase": bench_ansible_phase,
        "broker": bench_broker,
        "jobs": lambda: bench_jobs(report, sandbox_web_server),
    }
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run")
    parser.add_argument("--only", action="append", choices=list(benchmarks), help="run only this one (repeatable)")
    only = parser.parse_args(argv).only
    with own_database():
        for name, benchmark in benchmarks.items():
            if not only or name in only:
                benchmark()
    out = Path(REPO_ROOT / "var" / "bench.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = RESULTS
    if only and out.exists():
        measured = {entry["name"] for entry in RESULTS}
        earlier = json.loads(out.read_text()).get("figures", [])
        figures = [entry for entry in earlier if entry["name"] not in measured] + RESULTS
    out.write_text(json.dumps({"database": connection.vendor, "figures": figures}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

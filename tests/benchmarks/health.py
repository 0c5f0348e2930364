"""Health-check sweep bench: `health_check_batch` over `count` servers on real loopback sshd(s),
beside a bare paramiko thread pool running the same commands on the same hosts (the floor)."""

from __future__ import annotations

import io
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import paramiko
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

#: Connections one sshd is given at once: well under its MaxStartups start (100).
PER_SSHD = 64
RUNS = 3


class _AcceptAny(paramiko.MissingHostKeyPolicy):
    """The floor's host key policy: our own throw-away sshd, so any key is accepted."""

    def missing_host_key(self, client, hostname, key) -> None:
        return None


def _report():
    """run.py's report(): from `__main__` when run.py runs as `python -m` (a second import of it
    would have its own RESULTS, missing from var/bench.json)."""
    main = sys.modules.get("__main__")
    if main is not None and hasattr(main, "RESULTS") and hasattr(main, "report"):
        return main.report
    from tests.benchmarks.run import report

    return report


def bench_health_checks(count: int = 200) -> None:
    from apps.integrations.ssh import HEALTH_COMMANDS
    from apps.monitoring.choices import CheckOutcome
    from apps.monitoring.models import HealthCheck
    from apps.monitoring.services.checks import health_check_batch
    from apps.servers.choices import Lifecycle
    from apps.servers.models import Server
    from apps.servers.services import ssh_key_create
    from apps.servers.services.write import servers_write

    report = _report()
    from tests.fakes.sshd import TestSshd
    from tests.servers.factories import details, provider_account

    concurrency = max(1, min(settings.HEALTH_CHECK_CONCURRENCY, count))
    connect_timeout = settings.HEALTH_CONNECT_TIMEOUT_SECONDS
    command_timeout = settings.HEALTH_COMMAND_TIMEOUT_SECONDS
    daemons: list[TestSshd] = []
    try:
        for _ in range(max(1, -(-concurrency // PER_SSHD))):
            daemons.append(TestSshd())
        # One client key for all of them (the first one's), authorized everywhere.
        for sshd in daemons[1:]:
            (sshd.dir / "authorized_keys").write_text(daemons[0].client_key.public_key + "\n")
        for sshd in daemons:
            sshd.start()
        private_key = daemons[0].private_key
        username = daemons[0].username

        account = provider_account(name="bench-health")
        servers_write(
            account=account, listing=[details(n, ip="127.0.0.1") for n in range(1, count + 1)], now=timezone.now()
        )
        key = ssh_key_create(name="bench-health", private_key=private_key, is_default=True)
        rows = list(Server.objects.filter(provider_account=account).order_by("id"))
        for index, server in enumerate(rows):
            server.ssh_port = daemons[index % len(daemons)].port
            server.ssh_user = username
            server.ssh_key = key
            server.lifecycle = Lifecycle.READY
        Server.objects.bulk_update(rows, ["ssh_port", "ssh_user", "ssh_key", "lifecycle"])
        server_ids = [server.pk for server in rows]
        hosts = [(server.ip, server.ssh_port) for server in rows]

        # Warm-up: pins every host key (first use), so the measured runs verify pins.
        health_check_batch(server_ids=server_ids)
        unpinned = Server.objects.filter(pk__in=server_ids, host_key="").count()
        if unpinned:
            raise RuntimeError(f"the warm-up sweep pinned no host key on {unpinned} servers")
        failed = HealthCheck.objects.filter(server_id__in=server_ids).exclude(
            outcome__in=[CheckOutcome.HEALTHY, CheckOutcome.DEGRADED]
        )
        if failed.exists():
            raise RuntimeError(f"the warm-up sweep failed checks: {failed.first().error}")

        commands = HEALTH_COMMANDS(["/"], False)
        pkey = paramiko.Ed25519Key.from_private_key(io.StringIO(private_key))

        def bare_check(host_port: tuple[str, int]) -> dict[str, tuple[int, bytes, bytes]]:
            host, port = host_port
            client = paramiko.SSHClient()
            client.set_missing_host_key_policy(_AcceptAny())
            try:
                client.connect(
                    host,
                    port=port,
                    username=username,
                    pkey=pkey,
                    timeout=connect_timeout,
                    banner_timeout=connect_timeout,
                    auth_timeout=connect_timeout,
                    channel_timeout=connect_timeout,
                    look_for_keys=False,
                    allow_agent=False,
                )
                outputs = {}
                for name, command in commands.items():
                    _stdin, stdout, stderr = client.exec_command(command, timeout=command_timeout)
                    out, err = stdout.read(), stderr.read()
                    outputs[name] = (stdout.channel.recv_exit_status(), out, err)
                return outputs
            finally:
                client.close()

        def floor_sweep() -> None:
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                results = list(pool.map(bare_check, hosts))
            if len(results) != count:
                raise RuntimeError("the floor sweep lost hosts")

        platform, floor, queries = [], [], []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                health_check_batch(server_ids=server_ids)
                platform.append(time.perf_counter() - started)
            queries.append(len(captured))
            started = time.perf_counter()
            floor_sweep()
            floor.append(time.perf_counter() - started)
        report(f"health_check_sweep_{count}", statistics.median(platform), "s", floor=statistics.median(floor))
        report(f"health_check_sweep_{count}_queries", statistics.median(queries), "queries")
    finally:
        for sshd in daemons:
            sshd.cleanup()

"""Every page of the console's main flow costs the same number of queries with 10 servers as
with 1,000 (and their checks, incidents, runs and job hosts): a page that grows a query per row
is what makes an admin slow at fleet size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.jobs.choices import HostStatus, JobStatus
from apps.jobs.models import Job, JobHost
from apps.monitoring.choices import CheckOutcome, IncidentKind, IncidentStatus, Severity
from apps.monitoring.models import HealthCheck, Incident
from apps.provisioning.choices import Phase, RunKind, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.servers.choices import HealthStatus, Lifecycle
from apps.servers.models import Server
from tests.roles import user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db

SMALL, LARGE = 10, 1000


def grow_fleet(to: int, *, job: Job) -> None:
    """Servers up to `to`, each with a check, every tenth with an open incident and a run, and
    every server a host of `job`."""
    account = provider_account()
    start, now = Server.objects.count(), timezone.now()
    lifecycles, health = list(Lifecycle), [HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNREACHABLE]
    servers = Server.objects.bulk_create(
        Server(
            provider_account=account,
            provider_id=f"s{number}",
            hostname=f"web{number}.example.com",
            ip=f"10.0.{number // 250}.{number % 250 + 1}",
            lifecycle=lifecycles[number % len(lifecycles)],
            health_status=health[number % len(health)],
            labels={"role": "web" if number % 2 else "db"},
        )
        for number in range(start, to)
    )
    HealthCheck.objects.bulk_create(
        HealthCheck(
            server=server, checked_at=now - timedelta(seconds=index), duration_ms=5, outcome=CheckOutcome.HEALTHY
        )
        for index, server in enumerate(servers)
    )
    tenth = servers[::10]
    Incident.objects.bulk_create(
        Incident(
            server=server,
            kind=IncidentKind.DISK_WARNING,
            severity=Severity.WARNING,
            status=IncidentStatus.OPEN,
            opened_at=now,
            last_seen_at=now,
        )
        for server in tenth
    )
    ProvisioningRun.objects.bulk_create(
        ProvisioningRun(
            server=server,
            kind=RunKind.PLAYBOOK,
            playbook="baseline.yml",
            status=RunStatus.SUCCEEDED,
            phase=Phase.ANSIBLE,
        )
        for server in tenth
    )
    JobHost.objects.bulk_create(
        JobHost(job=job, server=server, name=server.hostname, alias=server.hostname, status=HostStatus.OK)
        for server in servers
    )


def main_flow_pages() -> dict[str, str]:
    server = Server.objects.order_by("pk").first()
    return {
        "dashboard": "/admin/",
        "servers": "/admin/servers/server/",
        "servers filtered": "/admin/servers/server/?lifecycle__exact=ready&q=role%3Dweb",
        "server": f"/admin/servers/server/{server.pk}/change/",
        "runs": "/admin/provisioning/provisioningrun/",
        "run": f"/admin/provisioning/provisioningrun/{ProvisioningRun.objects.order_by('pk').first().pk}/change/",
        "jobs": "/admin/jobs/job/",
        "job": f"/admin/jobs/job/{Job.objects.get().pk}/change/",
        "incidents": "/admin/monitoring/incident/",
        "incident": f"/admin/monitoring/incident/{Incident.objects.order_by('pk').first().pk}/change/",
        "health checks": "/admin/monitoring/healthcheck/",
        "docs search": "/admin/projects/project/search/?q=certificate",
    }


def queries_per_page(client) -> dict[str, int]:
    counts = {}
    for name, url in main_flow_pages().items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(queries)
    return counts


def test_each_main_flow_page_costs_the_same_queries_with_1000_servers_as_with_10(client):
    client.force_login(user_with_role("admin"))
    job = Job.objects.create(name="baseline", playbook="hello.yml", status=JobStatus.SUCCEEDED)
    grow_fleet(SMALL, job=job)
    queries_per_page(client)  # the content types cache fills on a first visit
    small = queries_per_page(client)

    grow_fleet(LARGE, job=job)
    large = queries_per_page(client)

    assert Server.objects.count() == LARGE
    assert large == small
    assert max(large.values()) <= 40, large

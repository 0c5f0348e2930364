"""A small fleet for the MCP tests: servers in several states, incidents, health checks, a failed
provisioning run with output, a GitHub organization; and secrets no tool may ever return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from apps.monitoring.models import HealthCheck, Incident
from apps.projects.models import GitHubAccount
from apps.provisioning.choices import RunStatus
from apps.provisioning.models import ProvisioningEvent, ProvisioningRun
from apps.servers.models import ProviderAccount, Server
from tests import factories
from tests.fakes.time4vps_provider import FakeTime4VPS
from tests.projects.factories import github_account
from tests.servers.factories import provider_account

SECRETS = {
    "provider password": "provider-secret-never-shown-41",
    "root password": "root-secret-never-shown-42",
    "github token": "ghp_github-secret-never-shown-43",
}


@dataclass
class Fleet:
    account: ProviderAccount
    ready: Server
    failing: Server
    discovered: Server
    incident: Incident
    resolved: Incident
    run: ProvisioningRun
    github: GitHubAccount


def build_fleet(provider: FakeTime4VPS | None = None) -> Fleet:
    """The fleet; with `provider`, the account points at that fake and `discovered` is one of its
    servers (so provision_server can ask it for OS templates)."""
    account = provider_account(
        password=SECRETS["provider password"],
        **({"base_url": provider.base_url, "username": provider.username} if provider else {}),
    )
    if provider:
        ProviderAccount.objects.filter(pk=account.pk).update(password=provider.password)
        account.refresh_from_db()
    ready = factories.server(
        account=account, hostname="web-ready.example.com", lifecycle="ready", health_status="healthy", ip="192.0.2.10"
    )
    failing = factories.server(
        account=account,
        hostname="db-failing.example.com",
        lifecycle="failed",
        health_status="unreachable",
        busy=True,
        ip="192.0.2.20",
        root_password=SECRETS["root password"],
    )
    discovered = Server.objects.create(
        provider_account=account,
        provider_id=str(FakeTime4VPS.FIRST_SERVER_ID),
        hostname="new-discovered.example.com",
        ip="192.0.2.30",
        lifecycle="discovered",
    )
    now = timezone.now()
    incident = factories.incident(on=failing, kind="unreachable", severity="critical")
    resolved = factories.incident(on=ready, kind="disk_warning", severity="warning", status="resolved")
    for minutes, outcome in ((10, "healthy"), (5, "unreachable")):
        HealthCheck.objects.create(
            server=failing,
            checked_at=now - timedelta(minutes=minutes),
            duration_ms=120,
            outcome=outcome,
            figures={"disk": {"/": {"used_percent": 93}}} if outcome == "healthy" else {},
            error="" if outcome == "healthy" else "connection refused",
        )
    run = factories.provisioning_run(on=failing, status=RunStatus.FAILED, finished_at=now, error="ansible failed")
    ProvisioningEvent.objects.bulk_create(
        ProvisioningEvent(
            run=run, seq=seq, event="runner_on_ok", task=f"task {seq}", stdout=f"line {seq}", created_at=now
        )
        for seq in range(1, 31)
    )
    github = github_account(organization="acme", token=SECRETS["github token"])
    return Fleet(account, ready, failing, discovered, incident, resolved, run, github)

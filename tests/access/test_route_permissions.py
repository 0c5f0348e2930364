"""Every API route, asked by every role: allowed roles get their answer, the others a 403.

The table below is the access policy in one place. A route in the schema that is missing
from it fails the suite, and so does a view that names no permission (it answers 403 even
to an admin), so a new endpoint cannot ship without deciding who may call it.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.core.models import SyncRun
from apps.core.services import periodic_tasks_register
from apps.jobs.models import Job, JobHost, JobTemplate
from apps.jobs.services import schedule_create
from apps.monitoring.choices import IncidentKind, Severity
from apps.monitoring.models import HealthCheck
from apps.projects.models import GitHubAccount, Project
from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.servers.models import Server, SshKey
from tests import factories
from tests.roles import api_client_as, user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db

# Who may call each route, from the least to the most trusted:
# anonymous < authenticated (signed in, no role) < viewer < operator < admin.
LEVELS = ["anonymous", "authenticated", "viewer", "operator", "admin"]
POLICY: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/token/"): "anonymous",
    ("GET", "/api/"): "authenticated",
    ("GET", "/api/schema/"): "authenticated",
    ("GET", "/api/docs/"): "authenticated",
    ("GET", "/api/system/heartbeat/"): "viewer",
    ("GET", "/api/periodic-tasks/"): "viewer",
    ("POST", "/api/periodic-tasks/{id}/run/"): "operator",
    ("GET", "/api/workers/"): "viewer",
    ("GET", "/api/workers/{hostname}/"): "viewer",
    ("GET", "/api/provider-accounts/"): "viewer",
    ("POST", "/api/provider-accounts/"): "admin",
    ("GET", "/api/provider-accounts/{id}/"): "viewer",
    ("PATCH", "/api/provider-accounts/{id}/"): "admin",
    ("DELETE", "/api/provider-accounts/{id}/"): "admin",
    ("POST", "/api/provider-accounts/{id}/sync/"): "operator",
    ("GET", "/api/servers/"): "viewer",
    ("GET", "/api/servers/{id}/"): "viewer",
    ("PATCH", "/api/servers/{id}/"): "operator",
    ("POST", "/api/servers/{id}/health-check/"): "operator",
    ("GET", "/api/servers/{id}/health-checks/"): "viewer",
    ("POST", "/api/servers/{id}/accept-host-key/"): "admin",
    ("POST", "/api/servers/{id}/provision/"): "operator",
    ("GET", "/api/servers/{id}/oses/"): "operator",
    ("POST", "/api/servers/{id}/run-playbook/"): "operator",
    ("GET", "/api/sync-runs/"): "viewer",
    ("GET", "/api/sync-runs/{id}/"): "viewer",
    ("GET", "/api/ssh-keys/"): "viewer",
    ("POST", "/api/ssh-keys/"): "admin",
    ("GET", "/api/ssh-keys/{id}/"): "viewer",
    ("GET", "/api/github-accounts/"): "viewer",
    ("POST", "/api/github-accounts/"): "admin",
    ("GET", "/api/github-accounts/{id}/"): "viewer",
    ("PATCH", "/api/github-accounts/{id}/"): "admin",
    ("POST", "/api/github-accounts/{id}/sync/"): "operator",
    ("GET", "/api/projects/"): "viewer",
    ("GET", "/api/projects/{id}/"): "viewer",
    ("GET", "/api/projects/search/"): "viewer",
    ("GET", "/api/projects/{id}/playbooks/"): "viewer",
    ("GET", "/api/incidents/"): "viewer",
    ("GET", "/api/incidents/{id}/"): "viewer",
    ("POST", "/api/incidents/{id}/acknowledge/"): "operator",
    ("POST", "/api/incidents/{id}/resolve/"): "operator",
    ("GET", "/api/provisioning-runs/"): "viewer",
    ("GET", "/api/provisioning-runs/{id}/"): "viewer",
    ("GET", "/api/provisioning-runs/{id}/events/"): "viewer",
    ("POST", "/api/provisioning-runs/{id}/retry/"): "operator",
    ("POST", "/api/provisioning-runs/{id}/cancel/"): "operator",
    ("GET", "/api/job-templates/"): "viewer",
    ("POST", "/api/job-templates/"): "operator",
    ("GET", "/api/job-templates/{id}/"): "viewer",
    ("PATCH", "/api/job-templates/{id}/"): "operator",
    ("DELETE", "/api/job-templates/{id}/"): "operator",
    ("POST", "/api/job-templates/{id}/launch/"): "operator",
    ("GET", "/api/job-templates/{id}/schedules/"): "viewer",
    ("POST", "/api/job-templates/{id}/schedules/"): "operator",
    ("GET", "/api/jobs/"): "viewer",
    ("GET", "/api/jobs/{id}/"): "viewer",
    ("GET", "/api/jobs/{id}/events/"): "viewer",
    ("POST", "/api/jobs/{id}/cancel/"): "operator",
    ("POST", "/api/jobs/{id}/relaunch/"): "operator",
    ("GET", "/api/schedules/"): "viewer",
    ("GET", "/api/schedules/{id}/"): "viewer",
    ("PATCH", "/api/schedules/{id}/"): "operator",
    ("DELETE", "/api/schedules/{id}/"): "operator",
    ("GET", "/api/audit-events/"): "viewer",
    ("GET", "/api/audit-events/{id}/"): "viewer",
    ("GET", "/api/auth/tokens/"): "authenticated",
    ("POST", "/api/auth/tokens/"): "authenticated",
    ("GET", "/api/auth/tokens/{id}/"): "authenticated",
    ("DELETE", "/api/auth/tokens/{id}/"): "authenticated",
}
# The worker that world() records (workers are named by hostname, not id).
WORKER = "celery@walk.example.com"
# Routes served outside the schema (the schema itself and its UI).
OUTSIDE_THE_SCHEMA = {("GET", "/api/schema/"), ("GET", "/api/docs/")}
# Bodies and query strings that a permitted caller's request is judged with.
BODIES = {
    ("PATCH", "/api/servers/{id}/"): {"label": "edge"},
    ("POST", "/api/ssh-keys/"): {"name": "walk", "is_default": False},
    ("POST", "/api/servers/{id}/run-playbook/"): {"playbook": "baseline.yml"},
    ("POST", "/api/auth/tokens/"): {"name": "walk"},
    ("POST", "/api/jobs/{id}/relaunch/"): {"hosts": "failed"},
}
QUERIES = {("GET", "/api/projects/search/"): {"q": "deploy"}, ("GET", "/api/projects/{id}/playbooks/"): {"ref": "main"}}
# A permitted caller gets a success, or a refusal that is about the request, not about them.
ALLOWED_ANSWERS = {200, 201, 202, 204, 400, 404, 409}
# Reads that ask an outside service, which this world's provider account cannot reach.
ASKS_THE_PROVIDER = {("GET", "/api/servers/{id}/oses/"), ("GET", "/api/projects/{id}/playbooks/")}
# Pages for people: an anonymous browser is sent to the login page instead of a bare 401.
SENT_TO_LOGIN = {("GET", "/api/docs/")}


@pytest.fixture(autouse=True)
def github_fails_fast(settings):
    """One attempt at the world's unreachable GitHub, no retries with backoff."""
    settings.GITHUB_RETRY_ATTEMPTS = 1


def schema_routes() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def world() -> dict[str, int]:
    """One object of every kind a route names, so each {id} resolves."""
    account = provider_account()
    server = Server.objects.create(provider_account=account, provider_id="1", hostname="web1", ip="192.0.2.10")
    key = SshKey.objects.create(name="k", private_key="unused", public_key="ssh-ed25519 AAAA", fingerprint="SHA256:x")
    now = timezone.now()
    HealthCheck.objects.create(server=server, checked_at=now, duration_ms=5, outcome="healthy")
    incident = factories.incident(on=server, kind=IncidentKind.UNREACHABLE, severity=Severity.CRITICAL, opened_at=now)
    run = ProvisioningRun.objects.create(
        server=server, playbook="baseline.yml", status=RunStatus.FAILED, phase=Phase.ANSIBLE, finished_at=now
    )
    sync_run = SyncRun.objects.create(
        kind="server_sync", status="succeeded", trigger="schedule", account=account, account_name=account.name
    )
    # A closed loopback port: the routes that ask GitHub get a 503 at once (github_fails_fast).
    github = GitHubAccount.objects.create(organization="acme", token="t0ken", base_url="http://127.0.0.1:9/api/v3")
    project = Project.objects.create(account=github, github_id=1, full_name="acme/app", name="app")
    periodic_tasks_register()
    from django_celery_beat.models import PeriodicTask

    from apps.scheduling.services import worker_record_heartbeat

    worker_record_heartbeat(hostname=WORKER, pid=1, started_at=now, queues=["default"], concurrency=1, tasks_running=0)

    template = JobTemplate.objects.create(name="walk", playbook="baseline.yml", target={"servers": [server.pk]})
    job = Job.objects.create(template=template, name="walk", playbook="baseline.yml", status="failed", finished_at=now)
    JobHost.objects.create(job=job, server=server, name="web1", alias="web1", status="failed")
    schedule = schedule_create(template=template, name="walk schedule", interval_seconds=3600)

    return {
        "job-templates": template.pk,
        "jobs": job.pk,
        "schedules": schedule.pk,
        "provider-accounts": account.pk,
        "servers": server.pk,
        "ssh-keys": key.pk,
        "incidents": incident.pk,
        "provisioning-runs": run.pk,
        "sync-runs": sync_run.pk,
        "github-accounts": github.pk,
        "projects": project.pk,
        "periodic-tasks": PeriodicTask.objects.get(name="heartbeat").pk,
    }


def concrete(path: str, ids: dict[str, int], token_id: int | None, audit_id: int | None) -> str:
    path = path.replace("{hostname}", WORKER)
    if "{id}" not in path:
        return path
    collection = path.split("/")[2]
    if collection == "auth":
        return path.replace("{id}", str(token_id))
    if collection == "audit-events":
        return path.replace("{id}", str(audit_id))
    return path.replace("{id}", str(ids[collection]))


def test_every_route_in_the_schema_has_a_decided_policy():
    routes = schema_routes() | OUTSIDE_THE_SCHEMA
    undecided = sorted(routes - POLICY.keys())
    stale = sorted(POLICY.keys() - routes)
    assert not undecided, f"add these routes to POLICY (who may call them?): {undecided}"
    assert not stale, f"these POLICY entries name routes that no longer exist: {stale}"


@pytest.mark.parametrize(("method", "path"), sorted(POLICY))
def test_each_role_gets_its_answer(method, path):
    from apps.access.services import token_create
    from apps.audit.models import AuditEvent

    ids = world()
    required = LEVELS.index(POLICY[(method, path)])
    callers: dict[str, tuple[APIClient, object]] = {"anonymous": (APIClient(), None)}
    for level in LEVELS[1:]:
        user = user_with_role(level, f"walk-{level}") if level != "authenticated" else None
        if user is None:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.create_user(username="walk-norole")
        callers[level] = (api_client_as(user), user)
    audit_id = AuditEvent.objects.create(action="auth.login", outcome="success").pk

    for level in LEVELS:
        client, user = callers[level]
        # Each caller asks about a token of their own (another user's would be a 404 anyway).
        token_id = token_create(user=user, name="mine")[0].pk if user is not None else 0
        url = concrete(path, ids, token_id, audit_id)
        request = getattr(client, method.lower())
        if method == "GET":
            response = request(url, QUERIES.get((method, path), {}))
        else:
            response = request(url, BODIES.get((method, path), {}), format="json")
        allowed = LEVELS.index(level) >= required
        where = f"{method} {url} as {level}: {response.status_code} {getattr(response, 'data', '')!r:.300}"
        if allowed and (method, path) in ASKS_THE_PROVIDER:
            assert response.status_code in (200, 503), where
        elif allowed and method == "GET":
            assert response.status_code == 200, where
        elif allowed:
            assert response.status_code in ALLOWED_ANSWERS, where
        elif level == "anonymous" and (method, path) in SENT_TO_LOGIN:
            assert response.status_code == 302, where
            assert response["Location"] == f"/admin/login/?next={url}", where
        elif level == "anonymous":
            assert response.status_code == 401, where
        else:
            assert response.status_code == 403, where

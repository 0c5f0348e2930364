"""The jobs REST contract without a worker: templates and launches checked before anything is
queued (400 with field errors), secrets never echoed, the platform's own machine protected,
filters checked. Launched jobs stay queued (their messages are purged)."""

from __future__ import annotations

import pytest

from apps.jobs.choices import HostStatus, JobStatus
from apps.jobs.models import Job, JobTemplate
from apps.servers.choices import Connection
from apps.servers.models import Server
from tests.conftest import purge_queues
from tests.roles import api_client_with_role

pytestmark = pytest.mark.django_db(transaction=True)

SURVEY = {
    "type": "object",
    "required": ["release", "api_password"],
    "properties": {
        "release": {"type": "string", "pattern": "^v[0-9]+$"},
        "api_password": {"type": "string", "writeOnly": True, "minLength": 8},
    },
}


@pytest.fixture(autouse=True)
def clean_broker():
    purge_queues()
    yield
    purge_queues()


@pytest.fixture
def api(db, fast_provisioning):
    return api_client_with_role("operator", "ops")


def create(api, **fields):
    body = {"name": "hello", "playbook": "hello.yml", "target": {"labels": {"role": "web"}}, **fields}
    return api.post("/api/job-templates/", body, format="json")


def test_a_template_names_a_playbook_that_exists_in_its_source(api, fleet):
    missing = create(api, playbook="nope.yml")
    outside = create(api, name="escape", playbook="../../etc/passwd.yml")
    not_yaml = create(api, name="text", playbook="notes.txt")

    assert missing.status_code == 400
    assert "no playbook 'nope.yml'" in missing.data["playbook"][0]
    assert "hello.yml" in missing.data["playbook"][0]  # says what is available
    assert outside.status_code == 400
    assert "outside the source" in outside.data["playbook"][0]
    assert not_yaml.status_code == 400
    assert "not a playbook file" in not_yaml.data["playbook"][0]
    assert not JobTemplate.objects.exists()


def test_a_bad_target_or_survey_is_refused_with_field_errors(api, fleet):
    unknown_key = create(api, target={"servers": [fleet[0].pk], "labels": {"a": "b"}})
    no_server = create(api, name="x", target={"servers": [999999]})
    bad_survey = create(api, name="y", survey={"type": "object", "properties": {"a": {"type": "nonsense"}}})
    bad_forks = create(api, name="z", forks=0)

    assert unknown_key.status_code == 400
    assert "target" in unknown_key.data
    assert no_server.status_code == 400
    assert "999999" in no_server.data["target"][0]
    assert bad_survey.status_code == 400
    assert "not a valid JSON Schema" in bad_survey.data["survey"][0]
    assert bad_forks.status_code == 400
    assert "forks" in bad_forks.data


def test_an_empty_selector_is_refused_at_launch_and_nothing_is_queued(api, fleet):
    template_id = create(api, target={"labels": {"role": "cache"}}).data["id"]

    response = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json")

    assert response.status_code == 400
    assert "matches none" in response.data["target"][0]
    assert not Job.objects.exists()


def test_launch_vars_are_checked_against_the_survey_and_secrets_are_never_echoed(api, fleet):
    template_id = create(api, survey=SURVEY).data["id"]
    launch = f"/api/job-templates/{template_id}/launch/"

    bad = api.post(launch, {"extra_vars": {"release": "latest", "api_password": "short"}}, format="json")
    assert bad.status_code == 400
    messages = " ".join(bad.data["extra_vars"])
    assert "release" in messages
    assert "api_password" in messages
    assert "short" not in messages  # the secret's value is not quoted back
    reserved = api.post(launch, {"extra_vars": {"platform_job_id": 1}}, format="json")
    assert reserved.status_code == 400
    assert "set by the platform" in reserved.data["extra_vars"][0]

    good = api.post(launch, {"extra_vars": {"release": "v42", "api_password": "s3cret-value"}}, format="json")
    assert good.status_code == 202, good.data
    detail = api.get(f"/api/jobs/{good.data['job_id']}/")
    assert detail.data["extra_vars"] == {"release": "v42"}
    assert detail.data["secret_vars"] == ["api_password"]
    assert "s3cret-value" not in detail.content.decode()
    stored = Job.objects.filter(pk=good.data["job_id"]).values_list("secret_vars", flat=True).get()
    assert stored == '{"api_password": "s3cret-value"}'  # readable by the platform, encrypted at rest
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_vars FROM jobs_job WHERE id = %s", [good.data["job_id"]])
        assert "s3cret-value" not in cursor.fetchone()[0]


def test_a_limit_outside_the_target_is_refused_and_one_inside_narrows_the_job(api, fleet):
    template_id = create(api).data["id"]
    launch = f"/api/job-templates/{template_id}/launch/"
    db_server = fleet[2]

    outside = api.post(launch, {"limit": [db_server.pk]}, format="json")
    inside = api.post(launch, {"limit": [fleet[0].pk]}, format="json")

    assert outside.status_code == 400
    assert str(db_server.pk) in outside.data["limit"][0]
    assert inside.status_code == 202
    assert [h.server_id for h in Job.objects.get(pk=inside.data["job_id"]).hosts.all()] == [fleet[0].pk]


def test_the_platforms_own_machine_runs_only_allowlisted_playbooks(api, fleet, settings):
    local = fleet[0]
    Server.objects.filter(pk=local.pk).update(connection=Connection.LOCAL)
    settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST = ["hello.yml"]
    template_id = create(api, playbook="fails_on_one.yml", target={"servers": [local.pk]}).data["id"]

    refused = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json")

    assert refused.status_code == 400
    assert "the platform's own machine" in refused.data["target"][0]
    allowed_id = create(api, name="allowed", target={"servers": [local.pk]}).data["id"]
    allowed = api.post(f"/api/job-templates/{allowed_id}/launch/", {}, format="json")
    assert allowed.status_code == 202
    (host,) = Job.objects.get(pk=allowed.data["job_id"]).hosts.all()
    assert host.status == HostStatus.PENDING
    assert host.reason == ""


def test_a_server_without_a_pinned_host_key_is_skipped_with_the_reason(api, fleet):
    Server.objects.filter(pk=fleet[1].pk).update(host_key="")
    template_id = create(api).data["id"]

    response = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json")

    assert response.status_code == 202
    hosts = {h.server_id: h for h in Job.objects.get(pk=response.data["job_id"]).hosts.all()}
    assert hosts[fleet[0].pk].status == HostStatus.PENDING
    assert hosts[fleet[1].pk].status == HostStatus.SKIPPED
    assert "no pinned host key" in hosts[fleet[1].pk].reason


def test_job_lists_refuse_unknown_filters_and_viewers_cannot_launch(api, fleet):
    template_id = create(api).data["id"]
    viewer = api_client_with_role("viewer", "watcher")

    assert api.get("/api/jobs/?colour=red").status_code == 400
    assert api.get("/api/jobs/?status=exploded").status_code == 400
    assert viewer.get("/api/job-templates/").status_code == 200
    assert viewer.post(f"/api/job-templates/{template_id}/launch/", {}, format="json").status_code == 403
    assert not Job.objects.exists()


def test_canceling_a_queued_job_ends_it_at_once(api, fleet):
    template_id = create(api).data["id"]
    job_id = api.post(f"/api/job-templates/{template_id}/launch/", {}, format="json").data["job_id"]

    response = api.post(f"/api/jobs/{job_id}/cancel/", format="json")

    assert response.data["status"] == JobStatus.CANCELED
    assert Job.objects.get(pk=job_id).token == 2  # its queued message is now stale

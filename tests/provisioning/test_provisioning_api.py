"""The provisioning REST contract: asking for runs, the 400/409 rules, reading runs and their output.

No worker runs here: the runs stay queued (their messages are purged), which is what these
rules are about. The sandbox provider answers the OS checks over real HTTP.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.provisioning.choices import Phase, RunKind, RunStatus
from apps.provisioning.models import ProvisioningEvent, ProvisioningRun
from apps.servers.choices import Connection, Lifecycle
from apps.servers.models import Server
from tests.conftest import purge_queues
from tests.provisioning.helpers import OS
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def clean_broker():
    purge_queues()
    yield
    purge_queues()


@pytest.fixture
def api(db):
    client = APIClient()
    client.force_authenticate(user_with_role("operator", "ops"))
    return client


@pytest.fixture
def remote_server(sandbox_account):
    """A sandbox server reached over SSH at an address that is not this machine."""
    server = Server.objects.filter(provider_account=sandbox_account).order_by("provider_id").first()
    Server.objects.filter(pk=server.pk).update(connection=Connection.SSH, ssh_host="192.0.2.10")
    server.refresh_from_db()
    return server


def provision(api, server, **body):
    return api.post(f"/api/servers/{server.pk}/provision/", {"os": OS, "confirm": True, **body}, format="json")


def test_provisioning_answers_202_with_the_run_and_moves_the_server_to_pending_setup(api, remote_server):
    response = provision(api, remote_server, playbook="ok.yml")

    assert response.status_code == 202, response.data
    run = ProvisioningRun.objects.get(pk=response.data["run_id"])
    assert (run.status, run.kind, run.phase, run.os_template, run.playbook) == (
        RunStatus.QUEUED,
        RunKind.PROVISION,
        Phase.ACCESS,
        OS,
        "ok.yml",
    )
    assert run.requested_by.username == "ops"
    assert [p.phase for p in run.phases.order_by("position")] == [
        "access",
        "reinstall",
        "wait_for_ssh",
        "ansible",
        "finalize",
    ]
    remote_server.refresh_from_db()
    assert remote_server.lifecycle == Lifecycle.PENDING_SETUP


def test_without_confirmation_the_answer_is_400_saying_why_and_nothing_changes(api, remote_server):
    response = api.post(f"/api/servers/{remote_server.pk}/provision/", {"os": OS}, format="json")

    assert response.status_code == 400
    assert "wipes the server" in response.data["confirm"][0]
    assert not ProvisioningRun.objects.exists()
    remote_server.refresh_from_db()
    assert remote_server.lifecycle == Lifecycle.DISCOVERED


def test_an_os_the_server_does_not_offer_is_a_400_listing_what_it_offers(api, remote_server):
    response = provision(api, remote_server, os="windows-3.11")

    assert response.status_code == 400
    assert "does not offer 'windows-3.11'" in response.data["os"][0]
    assert OS in response.data["os"][0]
    assert not ProvisioningRun.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lifecycle": Lifecycle.REMOVED}, "only a discovered, ready or failed server"),
        ({"busy": True, "active_task": "server_reboot"}, "busy at the provider"),
    ],
)
def test_removed_or_busy_servers_are_refused_with_409(api, remote_server, change, message):
    Server.objects.filter(pk=remote_server.pk).update(**change)

    response = provision(api, remote_server)

    assert response.status_code == 409
    assert message in response.data["detail"]


def test_two_requests_at_once_give_one_202_and_one_409_naming_the_active_run(api, remote_server):
    user = get_user_model().objects.get(username="ops")
    answers = []
    barrier = threading.Barrier(2)

    def ask():
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        try:
            answers.append(provision(client, remote_server, playbook="ok.yml"))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answer.status_code for answer in answers) == [202, 409]
    accepted = next(a for a in answers if a.status_code == 202)
    refused = next(a for a in answers if a.status_code == 409)
    assert refused.data["active_run_id"] == accepted.data["run_id"]
    assert ProvisioningRun.objects.count() == 1


def test_the_database_holds_one_active_run_per_server_whatever_the_code_does(remote_server):
    from django.db import IntegrityError

    ProvisioningRun.objects.create(server=remote_server, playbook="ok.yml", phase=Phase.ACCESS)
    with pytest.raises(IntegrityError):
        ProvisioningRun.objects.create(server=remote_server, playbook="ok.yml", phase=Phase.ACCESS)


def test_the_platforms_own_machine_may_only_run_allowlisted_playbooks(api, remote_server, local_server, settings):
    settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST = ["sandbox.yml"]
    Server.objects.filter(pk=remote_server.pk).update(ssh_host="127.0.0.1")

    over_loopback = provision(api, remote_server, playbook="ok.yml")
    local = provision(api, local_server, playbook="ok.yml")

    for response in (over_loopback, local):
        assert response.status_code == 400
        assert "the platform's own machine" in response.data["playbook"][0]
    assert not ProvisioningRun.objects.exists()


def test_an_unknown_or_path_like_playbook_is_a_400(api, remote_server):
    for name in ("missing.yml", "../../etc/passwd", "/etc/ansible.yml"):
        response = provision(api, remote_server, playbook=name)
        assert response.status_code == 400, name
        assert "playbook" in response.data


def test_run_playbook_needs_a_ready_server_and_runs_only_the_ansible_phase(api, remote_server):
    refused = api.post(f"/api/servers/{remote_server.pk}/run-playbook/", {"playbook": "ok.yml"}, format="json")
    assert refused.status_code == 409

    Server.objects.filter(pk=remote_server.pk).update(lifecycle=Lifecycle.READY)
    response = api.post(f"/api/servers/{remote_server.pk}/run-playbook/", {"playbook": "ok.yml"}, format="json")

    assert response.status_code == 202
    run = ProvisioningRun.objects.get(pk=response.data["run_id"])
    assert (run.kind, run.phase) == (RunKind.PLAYBOOK, Phase.ANSIBLE)
    assert [p.phase for p in run.phases.all()] == ["ansible"]
    remote_server.refresh_from_db()
    assert remote_server.lifecycle == Lifecycle.READY  # no confirmation, no reinstall, no lifecycle change


def test_runs_are_listed_and_their_output_streams_after_a_counter(api, remote_server):
    run_id = provision(api, remote_server, playbook="ok.yml").data["run_id"]
    ProvisioningEvent.objects.bulk_create(
        [
            ProvisioningEvent(run_id=run_id, seq=n, event="runner_on_ok", stdout=f"line {n}", created_at=timezone.now())
            for n in range(1, 6)
        ]
    )

    listed = api.get("/api/provisioning-runs/", {"server": remote_server.pk, "status": "queued"})
    detail = api.get(f"/api/provisioning-runs/{run_id}/")
    first = api.get(f"/api/provisioning-runs/{run_id}/events/", {"after": 0, "limit": 3})
    rest = api.get(f"/api/provisioning-runs/{run_id}/events/", {"after": first.data["next_after"]})
    bad = api.get(f"/api/provisioning-runs/{run_id}/events/", {"after": "x"})

    assert [r["id"] for r in listed.data["results"]] == [run_id]
    assert next(p["phase"] for p in detail.data["phases"]) == "access"
    assert "root_password" not in str(detail.data)
    assert [e["stdout"] for e in first.data["events"]] == ["line 1", "line 2", "line 3"]
    assert first.data["next_after"] == 3
    assert first.data["finished"] is False
    assert [e["seq"] for e in rest.data["events"]] == [4, 5]
    assert bad.status_code == 400
    assert "after" in bad.data


def test_cancel_of_a_queued_run_restores_the_server_and_retry_queues_it_again(api, remote_server):
    run_id = provision(api, remote_server, playbook="ok.yml").data["run_id"]

    canceled = api.post(f"/api/provisioning-runs/{run_id}/cancel/")
    again = api.post(f"/api/provisioning-runs/{run_id}/cancel/")

    assert canceled.status_code == 200
    assert canceled.data["status"] == "canceled"
    assert "canceled by ops" in canceled.data["error"]
    assert again.status_code == 409
    remote_server.refresh_from_db()
    assert remote_server.lifecycle == Lifecycle.DISCOVERED  # nothing was reinstalled yet

    retried = api.post(f"/api/provisioning-runs/{run_id}/retry/")

    assert retried.status_code == 202
    assert retried.data["run_id"] == run_id
    run = ProvisioningRun.objects.get(pk=run_id)
    assert run.status == RunStatus.QUEUED
    assert run.token == 3
    remote_server.refresh_from_db()
    assert remote_server.lifecycle == Lifecycle.PENDING_SETUP
    assert api.post(f"/api/provisioning-runs/{run_id}/retry/").status_code == 409


def test_asking_again_while_a_run_is_active_is_409_naming_the_active_run(api, remote_server):
    first = provision(api, remote_server, playbook="ok.yml")

    again = provision(api, remote_server, playbook="ok.yml")

    assert first.status_code == 202, first.data
    assert again.status_code == 409, again.data
    assert again.data["active_run_id"] == first.data["run_id"]
    assert f"#{first.data['run_id']}" in again.data["detail"]
    assert ProvisioningRun.objects.count() == 1


@pytest.mark.parametrize("confirm", ["yes", "true", "True", 1, "1", "on", [True], {"value": True}])
def test_confirm_must_be_the_json_boolean_true(api, remote_server, confirm):
    response = provision(api, remote_server, confirm=confirm)

    assert response.status_code == 400, response.data
    assert "JSON boolean" in response.data["confirm"][0]
    assert not ProvisioningRun.objects.exists()
    remote_server.refresh_from_db()
    assert remote_server.lifecycle == Lifecycle.DISCOVERED


def test_confirm_false_is_refused_saying_what_a_reinstall_does(api, remote_server):
    response = provision(api, remote_server, confirm=False)

    assert response.status_code == 400
    assert "wipes the server" in response.data["confirm"][0]
    assert not ProvisioningRun.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"confirm": "yes"}, "confirm"),
        ({"confirm": False}, "confirm"),
        ({"os": ""}, "os"),
        ({"os": "windows-3.11"}, "os"),
        ({"playbook": "../../etc/passwd"}, "playbook"),
        ({"playbook": "missing.yml"}, "playbook"),
    ],
)
def test_a_wrong_body_is_400_even_when_the_server_is_busy(api, remote_server, body, field):
    Server.objects.filter(pk=remote_server.pk).update(busy=True, active_task="server_reboot")

    response = provision(api, remote_server, **body)

    assert response.status_code == 400, response.data
    assert field in response.data
    assert not ProvisioningRun.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"), [({"confirm": "yes"}, "confirm"), ({"playbook": "missing.yml"}, "playbook")]
)
def test_a_wrong_body_is_400_even_while_a_run_is_active(api, remote_server, body, field):
    assert provision(api, remote_server, playbook="ok.yml").status_code == 202

    response = provision(api, remote_server, **body)

    assert response.status_code == 400, response.data
    assert field in response.data
    assert ProvisioningRun.objects.count() == 1


def test_run_playbook_with_a_wrong_playbook_is_400_whatever_the_servers_state(api, remote_server):
    # The server is discovered, not ready: a right playbook would be a 409.
    response = api.post(f"/api/servers/{remote_server.pk}/run-playbook/", {"playbook": "missing.yml"}, format="json")

    assert response.status_code == 400, response.data
    assert "no playbook 'missing.yml'" in response.data["playbook"][0]


def test_the_os_templates_a_server_offers_are_listed_from_the_provider(api, remote_server):
    from apps.sandbox.catalog import OS_TEMPLATES

    response = api.get(f"/api/servers/{remote_server.pk}/oses/")

    assert response.status_code == 200, response.data
    assert [(item["os"], item["title"]) for item in response.json()] == list(OS_TEMPLATES)


def test_os_templates_of_an_unreachable_provider_are_a_503_saying_so(api, remote_server, settings):
    settings.PROVIDER_RETRY_ATTEMPTS = 1
    remote_server.provider_account.base_url = "http://127.0.0.1:9/api"
    remote_server.provider_account.save()

    response = api.get(f"/api/servers/{remote_server.pk}/oses/")

    assert response.status_code == 503
    assert "could not read the server's OS templates" in response.json()["detail"]


def test_os_templates_of_a_removed_server_are_a_409(api, remote_server):
    Server.objects.filter(pk=remote_server.pk).update(lifecycle=Lifecycle.REMOVED)

    response = api.get(f"/api/servers/{remote_server.pk}/oses/")

    assert response.status_code == 409
    assert "removed" in response.json()["detail"]


def test_a_viewer_may_not_make_the_platform_ask_the_provider(remote_server):
    client = APIClient()
    client.force_authenticate(user_with_role("viewer", "watcher"))

    assert client.get(f"/api/servers/{remote_server.pk}/oses/").status_code == 403

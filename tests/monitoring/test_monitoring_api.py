"""SSH keys, per-server checks and health history over the API."""

import pytest
from rest_framework.test import APIClient

from apps.integrations.ssh import generate_ed25519
from apps.servers.models import SshKey
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(user_with_role("admin", "ops"))
    return client


def test_a_generated_key_shows_its_public_half_and_fingerprint_never_its_private_key(api):
    response = api.post("/api/ssh-keys/", {"name": "platform", "is_default": True}, format="json")

    body = response.json()
    assert response.status_code == 201, body
    assert body["public_key"].startswith("ssh-ed25519 ")
    assert body["fingerprint"].startswith("SHA256:")
    assert body["is_default"] is True
    assert "private_key" not in body
    stored = SshKey.objects.get()
    assert "PRIVATE KEY" in stored.private_key
    assert "PRIVATE KEY" not in str(api.get("/api/ssh-keys/").json())


def test_a_pasted_key_is_stored_and_one_key_stays_the_default(api):
    pasted = generate_ed25519()
    api.post("/api/ssh-keys/", {"name": "first", "is_default": True}, format="json")

    response = api.post(
        "/api/ssh-keys/", {"name": "pasted", "private_key": pasted.private_key, "is_default": True}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["fingerprint"] == pasted.fingerprint
    assert list(SshKey.objects.filter(is_default=True).values_list("name", flat=True)) == ["pasted"]


def test_invalid_key_text_is_a_400_that_does_not_echo_it(api):
    response = api.post(
        "/api/ssh-keys/", {"name": "bad", "private_key": "-----BEGIN NONSENSE-----\nsecret-ish\n"}, format="json"
    )

    assert response.status_code == 400
    assert "private_key" in response.json()
    assert "secret-ish" not in str(response.json())
    assert not SshKey.objects.exists()


def test_check_now_answers_202_and_the_history_lists_the_servers_checks(api, make_server):
    server = make_server()

    queued = api.post(f"/api/servers/{server.pk}/health-check/")
    from apps.monitoring.services import health_check_batch

    health_check_batch(server_ids=[server.pk])
    history = api.get(f"/api/servers/{server.pk}/health-checks/").json()

    assert queued.status_code == 202
    assert queued.json() == {"batches": 1}
    assert history["count"] == 1
    assert history["results"][0]["outcome"] == "healthy"
    assert api.post("/api/servers/999999/health-check/").status_code == 404


def test_accepting_a_host_key_when_none_was_offered_is_a_409(api, make_server):
    server = make_server()

    response = api.post(f"/api/servers/{server.pk}/accept-host-key/")

    assert response.status_code == 409
    assert "nothing to accept" in response.json()["detail"]

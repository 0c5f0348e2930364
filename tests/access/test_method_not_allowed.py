"""A method a route does not serve is a 405 naming the methods it does, whoever asks.

Roles decide who may use a method a route has; they have nothing to say about one it has not,
so a superuser and an anonymous caller get the same 405 (not a 403 blaming their role).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from apps.provisioning.choices import Phase, RunStatus
from apps.provisioning.models import ProvisioningRun
from tests import factories
from tests.roles import api_client_as, user_with_role

pytestmark = pytest.mark.django_db

# (method, path, the methods the route serves), {server} and {run} filled in below.
UNSERVED = [
    ("DELETE", "/api/servers/{server}/", {"GET", "PATCH"}),
    ("PUT", "/api/servers/{server}/", {"GET", "PATCH"}),
    ("POST", "/api/servers/", {"GET"}),
    ("GET", "/api/servers/{server}/provision/", {"POST"}),
    ("GET", "/api/servers/{server}/run-playbook/", {"POST"}),
    ("DELETE", "/api/provisioning-runs/{run}/", {"GET"}),
    ("GET", "/api/provisioning-runs/{run}/cancel/", {"POST"}),
    ("PATCH", "/api/system/heartbeat/", {"GET"}),
    ("DELETE", "/api/periodic-tasks/", {"GET"}),
]
CALLERS = ["anonymous", "no role", "viewer", "operator", "admin", "superuser"]


def client_for(caller: str) -> APIClient:
    if caller == "anonymous":
        return APIClient()
    users = get_user_model().objects
    if caller == "no role":
        return api_client_as(users.create_user(username="plain"))
    if caller == "superuser":
        return api_client_as(users.create_superuser(username="root", password=None))
    return api_client_as(user_with_role(caller))


@pytest.mark.parametrize("caller", CALLERS)
def test_an_unserved_method_is_405_for_every_caller(caller):
    server = factories.server(hostname="web1")
    run = ProvisioningRun.objects.create(
        server=server, playbook="baseline.yml", status=RunStatus.FAILED, phase=Phase.ANSIBLE
    )
    client = client_for(caller)

    for method, template, served in UNSERVED:
        url = template.format(server=server.pk, run=run.pk)
        response = getattr(client, method.lower())(url, format="json")

        where = f"{method} {url} as {caller}"
        assert response.status_code == 405, f"{where}: {response.status_code} {response.content[:200]!r}"
        assert response.json()["detail"] == f'Method "{method}" not allowed.', where
        allowed = {name.strip() for name in response["Allow"].split(",")}
        assert served <= allowed, f"{where}: Allow {response['Allow']}"
        assert method not in allowed, where


def test_a_served_method_is_still_decided_by_the_role():
    server = factories.server(hostname="web1")

    viewer = client_for("viewer").patch(f"/api/servers/{server.pk}/", {"notes": "x"}, format="json")
    anonymous = client_for("anonymous").patch(f"/api/servers/{server.pk}/", {"notes": "x"}, format="json")

    assert viewer.status_code == 403
    assert "role does not allow" in viewer.json()["detail"]
    assert anonymous.status_code == 401

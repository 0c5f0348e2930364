"""The sandbox is served outside production only, and its list and details cost a constant number of queries."""

import base64
import importlib.util
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.sandbox import catalog
from apps.sandbox.services import sandbox_server_reboot, sandbox_servers_ensure

from .conftest import PASSWORD, USERNAME

URLS_FILE = Path(__file__).resolve().parents[2] / "config" / "urls.py"
AUTH = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()


def load_root_urlconf(module_name: str):
    """config/urls.py executed afresh, without touching the loaded config.urls."""
    spec = importlib.util.spec_from_file_location(module_name, URLS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mounts_sandbox(module) -> bool:
    return any(str(pattern.pattern) == "sandbox/api/" for pattern in module.urlpatterns)


@pytest.mark.django_db(transaction=True)
def test_with_sandbox_disabled_the_views_answer_404(api, anonymous_api, settings):
    settings.SANDBOX_ENABLED = False

    responses = [
        api.get("/server"),
        api.get(f"/server/{catalog.server_id_for(1)}"),
        api.post(f"/server/{catalog.server_id_for(1)}/reboot"),
        anonymous_api.get("/server"),
    ]

    assert [response.status_code for response in responses] == [404] * 4


def test_the_root_urlconf_mounts_the_sandbox_only_when_enabled(settings):
    settings.SANDBOX_ENABLED = False
    disabled = load_root_urlconf("sandbox_test_urls_disabled")
    settings.SANDBOX_ENABLED = True
    enabled = load_root_urlconf("sandbox_test_urls_enabled")

    assert not mounts_sandbox(disabled)
    assert mounts_sandbox(enabled)


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_AUTHORIZATION=AUTH)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_5_and_50_servers(client, sandbox_settings):
    sandbox_servers_ensure(count=5)
    with_5 = queries_for(client, "/sandbox/api/server")
    sandbox_servers_ensure(count=50)
    with_50 = queries_for(client, "/sandbox/api/server")

    assert with_5 == with_50
    assert with_50 <= 2


@pytest.mark.django_db
def test_details_cost_the_same_queries_for_5_and_50_servers_and_any_number_of_tasks(client, sandbox_settings):
    sandbox_settings.SANDBOX_TASK_SECONDS = 0
    first = catalog.server_id_for(1)
    sandbox_servers_ensure(count=5)
    with_5 = queries_for(client, f"/sandbox/api/server/{first}")
    sandbox_servers_ensure(count=50)
    for _ in range(6):
        sandbox_server_reboot(server_id=first)
    queries_for(client, f"/sandbox/api/server/{first}")  # finishes the last reboot
    with_50 = queries_for(client, f"/sandbox/api/server/{first}")

    assert with_5 == with_50
    assert with_50 <= 3
